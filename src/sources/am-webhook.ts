// PingAM, ForgeRock AM and PingOne Advanced Identity Cloud (logout) webhooks. The body is the
// template the admin wrote in AM with its ${variables} substituted, as JSON or form data; a value
// still of the form ${name} (AM could not resolve it) is absent. A shared token in a configured
// header admits it (default `Authorization: Bearer <token>`). `fieldMap` maps template field
// names to canonical paths; the default session properties are mapped without one.
import { randomUUID } from 'node:crypto';
import type { ActivityEvent } from '../event/activity-event.js';
import { sameSecret } from '../auth/token-authenticator.js';
import { amDefaultFieldMap, amEventTypes } from '../event/pingam-session.js';
import { header, isObject, jsonObject, originalWithout, SourceRejection, type SourceRequest, type SourceType } from './source-types.js';

const contentType = (request: SourceRequest) => (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();

function fields(request: SourceRequest): Record<string, string> {
  const type = contentType(request);
  const out: Record<string, string> = {};
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(request.body.toString('utf8'))) out[name] = value;
  } else if (type === 'application/json' || type === '') {
    for (const [name, value] of Object.entries(jsonObject(request.body, 'AM webhook'))) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = String(value);
    }
  } else {
    throw new SourceRejection(415, 'unsupported_media_type', 'an AM webhook body is application/json or application/x-www-form-urlencoded');
  }
  // AM leaves ${name} as it is when it cannot resolve it: that is no value.
  for (const name of Object.keys(out)) if (/^\$\{[^}]*\}$/.test(out[name]!) || out[name] === '') delete out[name];
  return out;
}

/** The body as `_original`, without `names` (form fields or top-level JSON members). */
function originalBody(request: SourceRequest, names: readonly string[]): string {
  const text = request.body.toString('utf8');
  if (contentType(request) !== 'application/x-www-form-urlencoded') return originalWithout(text, jsonObject(request.body, 'AM webhook'), names.map((name) => [name]));
  const params = new URLSearchParams(text);
  if (!names.some((name) => params.has(name))) return text;
  for (const name of names) params.delete(name);
  return params.toString();
}

function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

export const amWebhookSource: SourceType = {
  admit(source, request) {
    const name = (source.header ?? 'authorization').toLowerCase();
    const presented = header(request, name);
    if (presented === undefined) throw new SourceRejection(401, 'unauthorized', `the ${name} header is missing`);
    const token = name === 'authorization' ? /^Bearer\s+(\S+)\s*$/i.exec(presented)?.[1] ?? '' : presented.trim();
    if (!sameSecret(token, source.token!)) throw new SourceRejection(401, 'unauthorized', `the ${name} header does not carry the configured token`);
  },

  normalise(source, request) {
    const values = fields(request);
    const map = { ...amDefaultFieldMap, ...source.fieldMap };
    const event: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      const path = map[name];
      if (path !== undefined) setPath(event, path, value);
    }
    const webhookType = (event.action as { type?: string } | undefined)?.type;
    const actionType = webhookType === undefined ? undefined : amEventTypes[webhookType.toUpperCase()];
    event.action = { type: actionType ?? 'SESSION.EVENT', ...(webhookType === undefined ? {} : { description: webhookType }) };
    const sessionId = (event.session as { id?: string } | undefined)?.id;
    // One logout of one session is one event: its id is stable across AM's retries.
    event.id = typeof event.id === 'string' ? event.id : sessionId !== undefined ? `${sessionId}:${webhookType ?? 'EVENT'}` : randomUUID();
    event.recordedAt = typeof event.recordedAt === 'string' && !Number.isNaN(Date.parse(event.recordedAt)) ? new Date(event.recordedAt).toISOString() : new Date().toISOString();
    event.result = { status: 'SUCCESS' };
    // The fields that carry the client's address or agent go to `source` only (HostName is the address as AM saw it).
    const clientFields = [...Object.keys(map).filter((name) => map[name] === 'source.ipAddress' || map[name] === 'source.userAgent'), 'HostName'];
    event._original = originalBody(request, clientFields);
    return { events: [event as ActivityEvent], unknownTypes: actionType === undefined ? 1 : 0 };
  },
};
