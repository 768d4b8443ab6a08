// Keycloak webhooks from p2-inc keycloak-events (`ext-event-webhook`): one event per POST,
// signed with X-Keycloak-Signature, the lowercase hex HMAC of the raw body (SHA-256, or SHA-1
// when the webhook says HmacSHA1); an optional `sha256=` prefix from other Keycloak webhook plugins
// is accepted. Fixtures: ../shared/reference/fixtures §1.
//   access.LOGIN           → KEYCLOAK.ACCESS.LOGIN
//   admin.USER-CREATE      → KEYCLOAK.ADMIN.USER.CREATE
//   anything else          → KEYCLOAK.<TYPE> (custom `system.*` types), counted as unknown
import type { ActivityEvent } from '../event/activity-event.js';
import { compact, header, hmacMatches, isObject, jsonObject, originalWithout, SourceRejection, text, type SourceType } from './source-types.js';

/** The action type of a Keycloak event type, and whether its form is one Keycloak documents. */
export function keycloakActionType(type: string): { actionType: string; known: boolean } {
  const access = /^access\.([A-Z0-9_]+)$/.exec(type);
  if (access) return { actionType: `KEYCLOAK.ACCESS.${access[1]}`, known: true };
  const admin = /^admin\.([A-Z0-9_]+)-([A-Z0-9_]+)$/.exec(type);
  if (admin) return { actionType: `KEYCLOAK.ADMIN.${admin[1]}.${admin[2]}`, known: true };
  const clean = type.toUpperCase().replace(/[^A-Z0-9_.]+/g, '_').replace(/^\.+|\.+$/g, '');
  return { actionType: clean === '' ? 'KEYCLOAK.EVENT' : `KEYCLOAK.${clean}`, known: false };
}

export const keycloakSource: SourceType = {
  admit(source, request) {
    const signature = header(request, 'x-keycloak-signature');
    if (signature === undefined || signature === '') throw new SourceRejection(401, 'missing_signature', 'X-Keycloak-Signature is missing');
    const hex = signature.replace(/^sha(256|1)=/i, '');
    if (!hmacMatches(source.algorithm ?? 'sha256', source.secret!, request.body, hex)) throw new SourceRejection(401, 'bad_signature', 'X-Keycloak-Signature does not match the body and the configured secret');
  },

  normalise(_source, request) {
    const contentType = header(request, 'content-type');
    if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) throw new SourceRejection(415, 'unsupported_media_type', 'a Keycloak webhook is sent as Content-Type: application/json');
    const body = jsonObject(request.body, 'Keycloak webhook');
    const type = text(body.type);
    const id = text(body.id) ?? text(body.uid);
    if (type === undefined || id === undefined || typeof body.time !== 'number') throw new SourceRejection(400, 'malformed', 'a Keycloak event needs type, time and id (or uid)');
    const { actionType, known } = keycloakActionType(type);
    const auth = isObject(body.authDetails) ? body.authDetails : {};
    const error = text(body.error);
    const event: ActivityEvent = compact({
      id,
      recordedAt: new Date(body.time).toISOString(),
      action: { type: actionType, description: type },
      actors: compact({
        user: compact({ id: text(auth.userId), name: text(auth.username) }),
        client: compact({ id: text(auth.clientId) }),
      }),
      source: compact({ ipAddress: text(auth.ipAddress) }),
      resources: text(body.resourceType) === undefined ? undefined : [compact({ type: text(body.resourceType), id: text(body.resourceId) ?? text(body.resourcePath)?.split('/').at(-1), path: text(body.resourcePath) })],
      result: error === undefined ? { status: 'SUCCESS' } : { status: 'FAILED', description: error },
      // authDetails.realmId is the realm's name; realmId at the top is its UUID.
      keycloak: compact({ realmId: text(body.realmId), realmName: text(body.realmName) ?? text(auth.realmId), sessionId: text(auth.sessionId), details: isObject(body.details) ? body.details : undefined }),
      _original: originalWithout(request.body.toString('utf8'), body, [['authDetails', 'ipAddress']]),
    });
    return { events: [event], unknownTypes: known ? 0 : 1 };
  },
};
