// PingAM's session vocabulary, shared by the am-webhook source (AM's fields into the canonical
// event) and format TEMPLATE (the canonical event back into AM's ${variables}), so the two ways
// can never drift apart.

/** Where the default session properties go in the canonical event. */
export const amDefaultFieldMap: Readonly<Record<string, string>> = {
  WebhookEventType: 'action.type',
  UserId: 'actors.user.id',
  Principal: 'actors.user.name',
  AMCtxId: 'session.id',
  authInstant: 'session.authInstant',
  Host: 'source.ipAddress',
  Organization: 'organization.name',
  Service: 'session.service',
};

/** WebhookEventType → action type. */
export const amEventTypes: Readonly<Record<string, string>> = {
  LOGOUT: 'SESSION.LOGOUT',
  UPGRADE: 'SESSION.UPGRADE',
  DESTROY: 'SESSION.DESTROYED',
  MAX_TIMEOUT: 'SESSION.MAX_TIMEOUT',
  IDLE_TIMEOUT: 'SESSION.IDLE_TIMEOUT',
};
