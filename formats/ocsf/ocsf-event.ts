// One (already redacted) event as an OCSF Identity & Access Management event: the class and
// activity from its IdP's table, then the attributes that class has. Every source stores its
// events in PingOne's activity shape, so one mapping of the fields serves all four IdPs; only the
// tables (and the product) differ.
//   time, metadata.original_time   recordedAt (epoch ms; as sent)
//   metadata.uid                   the event id; correlation_uid its correlationId
//   status_id, status_detail       result.status (1 success, 2 failure; 0 when absent), result.description
//   severity_id                    1 Informational, 3 Medium for failures and lockouts
//   user                           who the event is about: the USER resource when there is one, else actors.user
//   actor                          actors.user when someone else acted on a USER resource; the session
//   src_endpoint.ip                source.ipAddress (present only when exposed)
//   http_request.user_agent        source.userAgent (likewise)
//   service                        actors.client (the application signed in to), else the IdP
//   session, actor.session         session.id (Keycloak: keycloak.sessionId)
//   entity, group, privileges      the first resource; GROUP resources; role names
// Members of the event with no place in the class go under `unmapped`; the IdP's own payload
// (`_original`, or the PingOne event itself) under `raw_data` only when asked.
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { compact, failed, section, text, type Json } from '../event-values.js';
import { identityProviderOf, type IdentityProvider } from '../identity-provider.js';
import { asgardeo } from './asgardeo.js';
import { category, classes, fallbackMapping, type OcsfMapping, type ProviderMappings } from './classes.js';
import { keycloak } from './keycloak.js';
import { pingAm } from './pingam.js';
import { pingOne } from './pingone.js';

export const providers: Readonly<Record<IdentityProvider, ProviderMappings>> = { pingone: pingOne, pingam: pingAm, keycloak, asgardeo };

export interface OcsfSettings {
  version: string;
  includeRaw: boolean;
}

/** The members of the canonical event the mapping places (dotted paths); the rest go under `unmapped`. */
const mappedPaths = new Set(['id', 'recordedAt', 'createdAt', 'correlationId', 'action.type', 'action.description', 'actors.user.id', 'actors.user.name', 'actors.user.email', 'actors.client.id', 'actors.client.name', 'source.ipAddress', 'source.userAgent', 'result.status', 'result.description', 'session.id', 'keycloak.sessionId', '_original']);

/** Where an event's action type lands, from its IdP's table (or the fallback for an unknown one). */
export function mappingOf(event: ActivityEvent): { mapping: OcsfMapping; provider: ProviderMappings } {
  const provider = providers[identityProviderOf(event)];
  return { mapping: provider.actionTypes[event.action.type] ?? fallbackMapping(event.action.type), provider };
}

/** The OCSF event for one event. */
export function ocsfEvent(event: ActivityEvent, settings: OcsfSettings): Json {
  const { mapping, provider } = mappingOf(event);
  const ocsfClass = classes[mapping.class];
  const actors = section(event.actors);
  const resources = Array.isArray(event.resources) ? event.resources.map(section).filter((resource): resource is Json => resource !== undefined) : [];
  const source = section(event.source);
  const result = section(event.result);
  const status = text(result?.status);
  const failure = failed(event);
  const actorUser = userOf(section(actors?.user));
  const targetResource = resources.find((resource) => resource.type === 'USER');
  const target = userOf(targetResource) ?? actorUser;
  // The actor is who acted: always in Entity Management (it has no user), elsewhere when it is someone other than the user the event is about.
  const actedOnOther = actorUser !== undefined && (mapping.class === 3004 || JSON.stringify(actorUser) !== JSON.stringify(target));
  // Keycloak's source keeps its session id with its realm.
  const sessionId = text(section(event.session)?.id) ?? text(section(event.keycloak)?.sessionId);
  const client = section(actors?.client);
  const application = compact({ uid: text(client?.id), name: text(client?.name) });
  const groups = resources.filter((resource) => resource.type === 'GROUP');
  const roles = resources.filter((resource) => resource.type === 'ROLE').map((role) => text(role.name) ?? text(role.id)).filter((name): name is string => name !== undefined);

  // Every attribute this mapping can fill; each class keeps those it has.
  const candidates: Json = {
    user: target,
    actor: compact({ user: actedOnOther ? actorUser : undefined, session: sessionId === undefined ? undefined : { uid: sessionId } }),
    src_endpoint: text(source?.ipAddress) === undefined ? undefined : { ip: text(source?.ipAddress) },
    http_request: text(source?.userAgent) === undefined ? undefined : { user_agent: text(source?.userAgent) },
    // Authentication names where it went: the application signed in to, else the IdP itself.
    service: application ?? (mapping.class === 3002 ? { name: provider.product.name } : undefined),
    session: sessionId === undefined ? undefined : { uid: sessionId },
    is_new_logon: mapping.class === 3002 && mapping.activity === 1 ? mapping.newLogon ?? true : undefined,
    entity: entityOf(resources[0], event.action.type),
    group: groups[0] === undefined ? undefined : compact({ uid: text(groups[0].id), name: text(groups[0].name) }),
    // User Access Management requires privileges, Authorize Session them or a group: the roles, else what was granted.
    privileges: roles.length === 0 ? (mapping.class === 3005 || mapping.class === 3003 ? [event.action.type] : undefined) : roles,
  };
  const kept: Json = {};
  const unmapped: Json = {};
  for (const [name, value] of Object.entries(candidates)) {
    if (value === undefined) continue;
    if (ocsfClass.attributes.includes(name)) kept[name] = value;
    else if (name === 'src_endpoint' || name === 'http_request') unmapped[name] = value;
  }
  // What a class requires is there even when the event names nothing for it (Group Management:
  // a user or privileges): an application acting alone is a system user; an unnamed group or
  // entity is named by the action.
  if (kept.user === undefined && mapping.class !== 3004) kept.user = application === undefined ? { name: 'unknown', type_id: 0 } : { ...application, type_id: 3 };
  if (mapping.class === 3006 && kept.group === undefined) kept.group = { name: event.action.type };
  if (mapping.class === 3004 && kept.entity === undefined) kept.entity = { type: event.action.type.split('.')[0], name: event.action.type };
  Object.assign(unmapped, leftovers(event, ''));

  const time = Date.parse(event.recordedAt);
  const createdAt = text(event.createdAt) === undefined ? Number.NaN : Date.parse(event.createdAt as string);
  const activityName = ocsfClass.activities[mapping.activity] ?? 'Other';
  const serious = failure || event.action.type.endsWith('.LOCKED');
  return {
    category_uid: category.uid,
    category_name: category.name,
    class_uid: mapping.class,
    class_name: ocsfClass.name,
    activity_id: mapping.activity,
    activity_name: activityName,
    type_uid: mapping.class * 100 + mapping.activity,
    type_name: `${ocsfClass.name}: ${activityName}`,
    time,
    severity_id: serious ? 3 : 1,
    severity: serious ? 'Medium' : 'Informational',
    status_id: status === undefined ? 0 : failure ? 2 : 1,
    status: status === undefined ? 'Unknown' : failure ? 'Failure' : 'Success',
    ...(failure && text(result?.description) !== undefined ? { status_detail: text(result?.description) } : {}),
    ...(text(event.action.description) === undefined ? {} : { message: text(event.action.description) }),
    metadata: compact({
      version: settings.version,
      product: provider.product,
      uid: event.id,
      original_time: event.recordedAt,
      correlation_uid: text(event.correlationId),
      logged_time: Number.isNaN(createdAt) ? undefined : createdAt,
      event_code: event.action.type,
    }),
    ...kept,
    ...(Object.keys(unmapped).length === 0 ? {} : { unmapped }),
    ...(settings.includeRaw ? { raw_data: typeof event._original === 'string' ? event._original : JSON.stringify(event) } : {}),
  };
}

/** An OCSF user from a PingOne-shaped user or USER resource; undefined when it names nobody (no id, no name). */
function userOf(user: Json | undefined): Json | undefined {
  if (user === undefined || (text(user.id) === undefined && text(user.name) === undefined)) return undefined;
  return compact({ uid: text(user.id), name: text(user.name), email_addr: text(user.email) });
}

/** The managed entity an Entity Management event is about; undefined when the resource names nothing. */
function entityOf(resource: Json | undefined, actionType: string): Json | undefined {
  if (resource === undefined || (text(resource.id) === undefined && text(resource.name) === undefined)) return undefined;
  return compact({ uid: text(resource.id), name: text(resource.name), type: text(resource.type) ?? actionType.split('.')[0] });
}

/** The members of `value` under `path` the mapping did not place, empty objects dropped. */
function leftovers(value: Json, path: string): Json {
  const out: Json = {};
  for (const [name, member] of Object.entries(value)) {
    const at = path === '' ? name : `${path}.${name}`;
    if (mappedPaths.has(at)) continue;
    const nested = section(member);
    if (nested === undefined) out[name] = member;
    else {
      const rest = leftovers(nested, at);
      if (Object.keys(rest).length > 0) out[name] = rest;
    }
  }
  return out;
}
