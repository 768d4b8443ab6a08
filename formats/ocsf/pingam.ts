// PingAM / ForgeRock session webhooks in OCSF: every WebhookEventType the am-webhook source knows
// (src/event/pingam-session.ts) ends or upgrades a session.
import { at, type ProviderMappings } from './classes.js';

export const pingAm: ProviderMappings = {
  product: { name: 'PingAM', vendor_name: 'Ping Identity' },
  actionTypes: {
    'SESSION.LOGOUT': at(3002, 2),
    'SESSION.DESTROYED': at(3002, 2),
    'SESSION.MAX_TIMEOUT': at(3002, 2),
    'SESSION.IDLE_TIMEOUT': at(3002, 2),
    // A step-up on an existing session: a logon, not a new one.
    'SESSION.UPGRADE': at(3002, 1, { newLogon: false }),
    'SESSION.EVENT': at(3002, 99),
  },
};
