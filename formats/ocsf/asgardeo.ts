// Asgardeo / WSO2 Identity Server webhook events in OCSF: every event URI the asgardeo source
// knows (src/sources/asgardeo.ts), the reference fixtures' among them.
import { at, type ProviderMappings } from './classes.js';

export const asgardeo: ProviderMappings = {
  product: { name: 'Asgardeo', vendor_name: 'WSO2' },
  actionTypes: {
    'AUTHENTICATION.SUCCEEDED': at(3002, 1),
    'AUTHENTICATION.FAILED': at(3002, 1),
    'SESSION.CREATED': at(3002, 1),
    // An existing session presented for single sign-on: a logon without a new session.
    'SESSION.PRESENTED': at(3002, 1, { newLogon: false }),
    'SESSION.DELETED': at(3002, 2),
    'TOKEN.ISSUED': at(3002, 4),
    'TOKEN.REVOKED': at(3002, 99),
    'USER.REGISTERED': at(3001, 1),
    'USER.REGISTRATION_FAILED': at(3001, 1),
    'USER.CREATED': at(3001, 1),
    'USER.DELETED': at(3001, 6),
    'USER.UPDATED': at(3004, 3),
    'USER.CREDENTIAL_UPDATED': at(3001, 3),
    'USER.LOCKED': at(3001, 9),
    'USER.UNLOCKED': at(3001, 99),
    'USER.ENABLED': at(3001, 2),
    'USER.DISABLED': at(3001, 5),
    'GROUP.UPDATED': at(3004, 3),
    // Consent lets an application use what a user shares: access granted or taken back.
    'CONSENT.ADDED': at(3005, 1),
    'CONSENT.REVOKED': at(3005, 2),
    'CONSENT.PURPOSE_VERSION_ADDED': at(3004, 1),
    'ROLE.CREATED': at(3004, 1),
    'ROLE.UPDATED': at(3004, 3),
    'ROLE.DELETED': at(3004, 4),
    'ROLE.PERMISSIONS_UPDATED': at(3004, 3),
    'ROLE.USERS_UPDATED': at(3005, 99),
    'ROLE.GROUPS_UPDATED': at(3004, 3),
    'ROLE.IDP_GROUPS_UPDATED': at(3004, 3),
  },
};
