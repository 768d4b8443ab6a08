// Which identity provider an event came from, for formats that name it (OTLP's service.name).
// Every source stores its events in PingOne's activity shape; what each adds tells them apart:
// Keycloak events carry `keycloak`, Asgardeo/WSO2 IS events `wso2`, PingAM webhooks the body they
// were made from as `_original` and neither of those. The rest (the events API, PingOne's own
// webhooks) are PingOne's.
import type { ActivityEvent } from '../src/event/activity-event.js';

export type IdentityProvider = 'pingone' | 'pingam' | 'keycloak' | 'asgardeo';

export function identityProviderOf(event: ActivityEvent): IdentityProvider {
  if (event.keycloak !== undefined) return 'keycloak';
  if (event.wso2 !== undefined) return 'asgardeo';
  if (typeof event._original === 'string') return 'pingam';
  return 'pingone';
}
