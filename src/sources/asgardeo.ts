// Asgardeo and WSO2 Identity Server webhooks (WebSub): the hub's verification GET is answered with
// the challenge; each POST is one Security Event Token-shaped JSON body signed with
// `X-Hub-Signature: sha256=<hex>` (Asgardeo) or `x-wso2-event-signature: sha256=<hex>` (WSO2 IS),
// the HMAC-SHA256 of the raw body. `jti` is the event id, `iat` (milliseconds) its time, and the
// one key under `events` its type. Fixtures: ../shared/reference/fixtures §2.
import type { ActivityEvent } from '../event/activity-event.js';
import { compact, header, hmacMatches, isObject, jsonObject, originalWithout, SourceRejection, text, type SourceType } from './source-types.js';

const prefix = 'https://schemas.identity.wso2.org/events/';

/** Every event URI WSO2 emits (fixtures §2), as an action type. */
export const asgardeoActionTypes: Record<string, string> = {
  'login/event-type/loginSuccess': 'AUTHENTICATION.SUCCEEDED',
  'login/event-type/loginFailed': 'AUTHENTICATION.FAILED',
  'registration/event-type/registrationSuccess': 'USER.REGISTERED',
  'registration/event-type/registrationFailed': 'USER.REGISTRATION_FAILED',
  'credential/event-type/credentialUpdated': 'USER.CREDENTIAL_UPDATED',
  'user/event-type/userCreated': 'USER.CREATED',
  'user/event-type/userDeleted': 'USER.DELETED',
  'user/event-type/userProfileUpdated': 'USER.UPDATED',
  'user/event-type/userAccountLocked': 'USER.LOCKED',
  'user/event-type/userAccountUnlocked': 'USER.UNLOCKED',
  'user/event-type/userEnabled': 'USER.ENABLED',
  'user/event-type/userDisabled': 'USER.DISABLED',
  'group/event-type/groupUpdated': 'GROUP.UPDATED',
  'session/event-type/sessionEstablished': 'SESSION.CREATED',
  'session/event-type/sessionPresented': 'SESSION.PRESENTED',
  'session/event-type/sessionRevoked': 'SESSION.DELETED',
  'token/event-type/accessTokenIssued': 'TOKEN.ISSUED',
  'token/event-type/accessTokenRevoked': 'TOKEN.REVOKED',
  'consent/event-type/consentAdded': 'CONSENT.ADDED',
  'consent/event-type/consentRevoked': 'CONSENT.REVOKED',
  'consent-purpose/event-type/purposeVersionAdded': 'CONSENT.PURPOSE_VERSION_ADDED',
  'role/event-type/roleCreated': 'ROLE.CREATED',
  'role/event-type/roleMetaUpdated': 'ROLE.UPDATED',
  'role/event-type/roleDeleted': 'ROLE.DELETED',
  'role/event-type/roleUsersUpdated': 'ROLE.USERS_UPDATED',
  'role/event-type/roleGroupsUpdated': 'ROLE.GROUPS_UPDATED',
  'role/event-type/roleIdpGroupsUpdated': 'ROLE.IDP_GROUPS_UPDATED',
  'role/event-type/rolePermissionsUpdated': 'ROLE.PERMISSIONS_UPDATED',
};

const failures = new Set(['AUTHENTICATION.FAILED', 'USER.REGISTRATION_FAILED']);

/** A user's claim value by its URI suffix (`username`, `emailaddress`, …). */
function claim(user: Record<string, unknown>, name: string): string | undefined {
  const claims = Array.isArray(user.claims) ? (user.claims as unknown[]) : [];
  for (const entry of claims) if (isObject(entry) && text(entry.uri)?.endsWith(`/${name}`)) return text(entry.value);
  return undefined;
}

export const asgardeoSource: SourceType = {
  admit(source, request) {
    const signature = header(request, 'x-hub-signature') ?? header(request, 'x-wso2-event-signature');
    if (signature === undefined || signature === '') throw new SourceRejection(401, 'missing_signature', 'X-Hub-Signature (Asgardeo) or x-wso2-event-signature (WSO2 IS) is missing');
    const match = /^sha256=(.+)$/i.exec(signature);
    if (match === null || !hmacMatches('sha256', source.secret!, request.body, match[1]!)) throw new SourceRejection(401, 'bad_signature', 'the signature does not match the body and the configured secret');
  },

  normalise(_source, request) {
    const body = jsonObject(request.body, 'WSO2 webhook');
    const id = text(body.jti);
    const events = isObject(body.events) ? Object.entries(body.events) : [];
    if (id === undefined || typeof body.iat !== 'number' || events.length !== 1) throw new SourceRejection(400, 'malformed', 'a WSO2 event needs jti, iat (milliseconds) and exactly one key under events');
    const [uri, payload] = events[0]!;
    const known = uri.startsWith(prefix) ? asgardeoActionTypes[uri.slice(prefix.length)] : undefined;
    const data = isObject(payload) ? payload : {};
    const user = isObject(data.user) ? data.user : {};
    const session = isObject(data.session) ? data.session : undefined;
    const reason = isObject(data.reason) ? text(data.reason.description) : undefined;
    const actionType = known ?? 'WSO2.EVENT';
    const event: ActivityEvent = compact({
      id,
      recordedAt: new Date(body.iat).toISOString(),
      action: { type: actionType, description: uri },
      actors: compact({
        user: compact({ id: text(user.id), name: claim(user, 'username'), email: claim(user, 'emailaddress') }),
        client: isObject(data.application) ? compact({ id: text(data.application.id), name: text(data.application.name) }) : undefined,
      }),
      resources: text(user.id) === undefined && claim(user, 'username') === undefined ? undefined : [compact({ type: 'USER', id: text(user.id), name: claim(user, 'username') })],
      organization: isObject(data.organization) ? compact({ id: text(data.organization.id), name: text(data.organization.name) }) : undefined,
      session: session === undefined ? undefined : compact({ id: text(session.id) }),
      source: compact({ ipAddress: text(data.initiatorIpAddress) }),
      result: failures.has(actionType) ? compact({ status: 'FAILED', description: reason }) : { status: 'SUCCESS' },
      wso2: compact({ iss: text(body.iss), rci: text(body.rci), tenant: isObject(data.tenant) ? data.tenant : undefined }),
      _original: originalWithout(request.body.toString('utf8'), body, [['events', uri, 'initiatorIpAddress']]),
    });
    return { events: [event], unknownTypes: known === undefined ? 1 : 0 };
  },
};
