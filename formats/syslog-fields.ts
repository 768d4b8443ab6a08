// What CEF and LEEF say of one event, before each escapes it its own way: vendor and product are
// the IdP's (OCSF's names), the signature id / event id the action type, the name its description.
//   CEF          LEEF          from
//   suser        usrName       actors.user.name (who acted)
//   duser        duser         the USER resource's name, else actors.user.name (who it is about)
//   src          src           source.ipAddress, only when exposed (redaction removed it otherwise)
//   requestClientApplication   userAgent   source.userAgent, likewise
//   rt           devTime       recordedAt (CEF: epoch milliseconds; LEEF: ISO 8601, with devTimeFormat)
//   outcome      outcome       success | failure, from result.status
//   externalId   externalId    the event id
import type { ActivityEvent } from '../src/event/activity-event.js';
import { failed, section, text } from './event-values.js';
import { identityProviderOf } from './identity-provider.js';
import { providers } from './ocsf/ocsf-event.js';


/** The header parts and the named fields (undefined: left out) of one event. */
export function syslogFields(event: ActivityEvent) {
  const product = providers[identityProviderOf(event)].product;
  const actor = section(section(event.actors)?.user);
  const target = Array.isArray(event.resources) ? event.resources.map(section).find((resource) => resource?.type === 'USER') : undefined;
  const source = section(event.source);
  const status = text(section(event.result)?.status);
  const failure = failed(event);
  return {
    vendor: product.vendor_name,
    product: product.name,
    signature: event.action.type,
    name: text(event.action.description) ?? event.action.type,
    failure,
    fields: [
      ['suser', text(actor?.name)],
      ['duser', text(target?.name) ?? text(actor?.name)],
      ['src', text(source?.ipAddress)],
      ['requestClientApplication', text(source?.userAgent)],
      ['rt', String(Date.parse(event.recordedAt))],
      ['outcome', status === undefined ? undefined : failure ? 'failure' : 'success'],
      ['externalId', event.id],
    ] as [string, string | undefined][],
  };
}

