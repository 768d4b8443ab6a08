// The OCSF Identity & Access Management classes the OCSF format emits (schema 1.1.0, category 3):
// their captions, their activities, and which of the attributes the mapping fills each class has.
// An attribute a class lacks (src_endpoint in Entity Management, say) goes under `unmapped`.

export const category = { uid: 3, name: 'Identity & Access Management' } as const;

export type ClassUid = 3001 | 3002 | 3003 | 3004 | 3005 | 3006;

export interface OcsfClass {
  name: string;
  /** activity_id → caption; 0 Unknown and 99 Other are every class's. */
  activities: Readonly<Record<number, string>>;
  /** The optional attributes of the mapping this class has. */
  attributes: readonly string[];
}

const common = { 0: 'Unknown', 99: 'Other' };

export const classes: Readonly<Record<ClassUid, OcsfClass>> = {
  3001: {
    name: 'Account Change',
    activities: { ...common, 1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 7: 'Attach Policy', 8: 'Detach Policy', 9: 'Lock', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable' },
    attributes: ['user', 'actor', 'src_endpoint', 'http_request'],
  },
  3002: {
    name: 'Authentication',
    activities: { ...common, 1: 'Logon', 2: 'Logoff', 3: 'Authentication Ticket', 4: 'Service Ticket Request', 5: 'Service Ticket Renew' },
    attributes: ['user', 'actor', 'src_endpoint', 'http_request', 'service', 'session', 'is_new_logon'],
  },
  3003: {
    name: 'Authorize Session',
    activities: { ...common, 1: 'Assign Privileges', 2: 'Assign Groups' },
    attributes: ['user', 'actor', 'session', 'privileges'],
  },
  3004: {
    name: 'Entity Management',
    activities: { ...common, 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' },
    attributes: ['actor', 'entity'],
  },
  3005: {
    name: 'User Access Management',
    activities: { ...common, 1: 'Assign Privileges', 2: 'Revoke Privileges' },
    attributes: ['user', 'actor', 'privileges'],
  },
  3006: {
    name: 'Group Management',
    activities: { ...common, 1: 'Assign Privileges', 2: 'Revoke Privileges', 3: 'Add User', 4: 'Remove User', 5: 'Delete', 6: 'Create' },
    attributes: ['user', 'actor', 'group', 'privileges'],
  },
};

/** Where one action type lands: its class and activity (and, for Authentication, whether it opens a new session). */
export interface OcsfMapping {
  class: ClassUid;
  activity: number;
  /** Authentication: false when an existing session was used (SSO, a step-up), not a new logon. */
  newLogon?: boolean;
}

/** An identity provider's mappings: its product as OCSF names it, and its action types. */
export interface ProviderMappings {
  product: { name: string; vendor_name: string };
  actionTypes: Readonly<Record<string, OcsfMapping>>;
}

export const at = (uid: ClassUid, activity: number, extra: Partial<OcsfMapping> = {}): OcsfMapping => ({ class: uid, activity, ...extra });

/** For an action type no table names: RESOURCE.CREATED / UPDATED / DELETED / READ as Entity Management, else its Other. */
export function fallbackMapping(actionType: string): OcsfMapping {
  const verb = actionType.split('.').at(-1) ?? '';
  if (/^CREATED?$/.test(verb)) return at(3004, 1);
  if (/^READ$/.test(verb)) return at(3004, 2);
  if (/^UPDATED?$/.test(verb)) return at(3004, 3);
  if (/^DELETED?$/.test(verb)) return at(3004, 4);
  return at(3004, 99);
}
