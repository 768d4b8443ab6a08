// ELASTICSEARCH: one event as an Elastic Common Schema
// document, so Elastic Security's rules and dashboards read it as they read Elastic's own PingOne
// integration. The field choices follow that integration's ingest pipeline
// (elastic/integrations, packages/ping_one/data_stream/audit/elasticsearch/ingest_pipeline/
// default.yml): event.kind, category and type from the action's name, event.action lower-cased,
// event.outcome from result.status, the user actor as user.*, the client actor as client.user.*,
// related.user. Every source's events reach the formatter in PingOne's activity shape, so one
// mapping serves all four IdPs. What ECS has no name for stays under ping_one.audit; the event as
// received, after redaction, is event.original.
import type { ActivityEvent } from '../src/event/activity-event.js';
import { compact, failed, section, text } from './event-values.js';

export const ecsVersion = '8.10.0';

type Document = Record<string, unknown>;

/** The ECS document for one (already redacted) event. */
export function ecsDocument(event: ActivityEvent): Document {
  const actionType = typeof event.action?.type === 'string' ? event.action.type : '';
  const action = actionType.toLowerCase();
  const actors = section(event.actors);
  const user = section(actors?.user);
  const client = section(actors?.client);
  const source = section(event.source);
  const result = section(event.result);
  const status = typeof result?.status === 'string' ? result.status : undefined;

  const related = unique([text(client?.id), text(client?.name), text(user?.id), text(user?.name)]);
  const audit = compact({
    correlation: compact({ id: text(event.correlationId) }),
    created_at: text(event.createdAt),
    action: compact({ description: text(event.action?.description) }),
    actors: compact({
      client: compact({ environment: section(client?.environment), href: text(client?.href), type: text(client?.type) }),
      user: compact({ environment: section(user?.environment), population: section(user?.population), href: text(user?.href), type: text(user?.type) }),
    }),
    resources: Array.isArray(event.resources) ? event.resources : undefined,
    result: compact({ id: text(result?.id), description: text(result?.description) }),
    embedded: section(event._embedded),
    tags: Array.isArray(event.tags) ? event.tags : undefined,
  });

  return compact({
    '@timestamp': event.recordedAt,
    ecs: { version: ecsVersion },
    event: compact({
      id: event.id,
      kind: 'event',
      action: action === '' ? undefined : action,
      category: categories(action),
      type: types(action),
      outcome: failed(event) ? 'failure' : status === 'SUCCESS' || status === 'succeeded' ? 'success' : undefined,
      original: JSON.stringify(event),
    }),
    user: compact({ id: text(user?.id), name: text(user?.name) }),
    client: compact({ user: compact({ id: text(client?.id), name: text(client?.name) }) }),
    // Present only when the subscription exposes them: redaction has already removed them otherwise.
    source: compact({ ip: text(source?.ipAddress) }),
    user_agent: compact({ original: text(source?.userAgent) }),
    related: related.length === 0 ? undefined : { user: related },
    ping_one: audit === undefined ? undefined : { audit },
  })!;
}

function categories(action: string): string[] {
  const out = ['iam'];
  if (['created', 'deleted', 'updated', 'access_allowed'].some((word) => action.includes(word))) out.push('configuration');
  if (action.includes('password.check_succeeded')) out.push('authentication');
  if (action.includes('email')) out.push('email');
  return out;
}

function types(action: string): string[] {
  const words: [string, string][] = [
    ['created', 'creation'],
    ['deleted', 'deletion'],
    ['updated', 'change'],
    ['user', 'user'],
    ['group', 'group'],
    ['allowed', 'info'],
    ['denied', 'denied'],
    ['started', 'start'],
    ['access_allowed', 'access'],
  ];
  const out = words.filter(([word]) => action.includes(word)).map(([, type]) => type);
  return out.length === 0 ? ['info'] : out;
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined))];
}
