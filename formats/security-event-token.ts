// SET: each event as a Security Event Token (RFC 8417), a JWS in compact form signed RS256 or
// ES256, pushed one per request as `application/secevent+jwt` (RFC 8935).
//   header  { alg, typ: "secevent+jwt", kid }
//   claims  iss, aud (when set), iat (seconds, when formatted), jti (the event id), toe (recordedAt
//           in seconds), txn (correlationId, when present), sub_id (the user, when known), events
// `events` has exactly one member (as the Shared Signals Framework requires). Action types with a
// standard meaning get the OpenID CAEP or RISC event type and its members; every other action
// type gets `urn:siem-gateway:event-type:<ACTION.TYPE>` with the whole (redacted) event as value.
import type { ActivityEvent } from '../src/event/activity-event.js';
import type { FormatContext, Formatter, SecurityEventSettings } from '../src/contracts/formatter.js';
import { valueAt } from './session-properties.js';

const caep = 'https://schemas.openid.net/secevent/caep/event-type/';
const risc = 'https://schemas.openid.net/secevent/risc/event-type/';
const gatewayEventType = 'urn:siem-gateway:event-type:';

type Standard = { uri: string; members?: Record<string, unknown> };

const sessionRevoked: Standard = { uri: `${caep}session-revoked` };
const passwordChanged: Standard = { uri: `${caep}credential-change`, members: { credential_type: 'password', change_type: 'update' } };

/** Action types with a CAEP or RISC event type (documented in the README); a Map, so no action type finds a prototype member. */
const standardEventTypes = new Map<string, Standard>([
  ['SESSION.DELETED', sessionRevoked],
  ['SESSION.LOGOUT', sessionRevoked],
  ['SESSION.DESTROYED', sessionRevoked],
  ['SESSION.MAX_TIMEOUT', sessionRevoked],
  ['SESSION.IDLE_TIMEOUT', sessionRevoked],
  ['KEYCLOAK.ACCESS.LOGOUT', sessionRevoked],
  ['PASSWORD.SET', passwordChanged],
  ['PASSWORD.RESET', passwordChanged],
  ['PASSWORD.RECOVERY', passwordChanged],
  ['PASSWORD.UNSET', { uri: `${caep}credential-change`, members: { credential_type: 'password', change_type: 'delete' } }],
  ['KEYCLOAK.ACCESS.UPDATE_PASSWORD', passwordChanged],
  ['PASSWORD.FORCE_CHANGE', { uri: `${risc}account-credential-change-required` }],
  ['USER.DELETED', { uri: `${risc}account-purged` }],
  ['USER.DISABLED', { uri: `${risc}account-disabled` }],
  ['USER.LOCKED', { uri: `${risc}account-disabled` }],
  ['USER.ENABLED', { uri: `${risc}account-enabled` }],
  ['USER.UNLOCKED', { uri: `${risc}account-enabled` }],
]);

/** The event-type URI an action type gets. */
function eventTypeUri(actionType: string): string {
  return standardEventTypes.get(actionType)?.uri ?? `${gatewayEventType}${actionType}`;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The user the event is about: the acting user, else a USER resource. */
function subjectOf(event: ActivityEvent): { format: 'opaque'; id: string } | undefined {
  const actor = valueAt(event, 'actors.user.id');
  if (typeof actor === 'string' && actor !== '') return { format: 'opaque', id: actor };
  const resources = Array.isArray(event.resources) ? (event.resources as unknown[]) : [];
  const user = resources.find((resource) => valueAt(resource, 'type') === 'USER' && typeof valueAt(resource, 'id') === 'string');
  return user === undefined ? undefined : { format: 'opaque', id: valueAt(user, 'id') as string };
}

/** The claims of the SET for `event`, issued at `issuedAt` (epoch seconds). */
function securityEventClaims(event: ActivityEvent, settings: Pick<SecurityEventSettings, 'issuer' | 'audience'>, issuedAt: number): Record<string, unknown> {
  const subject = subjectOf(event);
  const standard = standardEventTypes.get(event.action.type);
  const eventValue = standard === undefined
    ? event
    : {
        ...(subject === undefined ? {} : { subject }),
        event_timestamp: seconds(event.recordedAt),
        ...standard.members,
        ...(typeof event.action.description === 'string' ? { reason_admin: { en: event.action.description } } : {}),
      };
  return {
    iss: settings.issuer,
    ...(settings.audience === undefined ? {} : { aud: settings.audience }),
    iat: issuedAt,
    jti: event.id,
    toe: seconds(event.recordedAt),
    ...(typeof event.correlationId === 'string' ? { txn: event.correlationId } : {}),
    ...(subject === undefined ? {} : { sub_id: subject }),
    events: { [eventTypeUri(event.action.type)]: eventValue },
  };
}

function settingsOf(context: FormatContext): SecurityEventSettings {
  if (context.securityEvents === undefined) throw new Error('format SET needs a signing key');
  return context.securityEvents;
}

export const securityEventTokenFormatter: Formatter = {
  name: 'SET',
  format(event: ActivityEvent, context: FormatContext) {
    const settings = settingsOf(context);
    const header = base64url(JSON.stringify({ alg: settings.alg, typ: 'secevent+jwt', kid: settings.kid }));
    const payload = base64url(JSON.stringify(securityEventClaims(event, settings, Math.floor(Date.now() / 1000))));
    const signingInput = `${header}.${payload}`;
    return `${signingInput}.${base64url(settings.sign(signingInput))}`;
  },
  // RFC 8935 §2: errors come back as JSON.
  perRequest: { contentType: () => 'application/secevent+jwt', target: () => ({ headers: { accept: 'application/json' } }) },
};
