/** What an API token may do. Pure data: the token form of the console lists these too. */
export const SCOPES = [
  'automations:read',
  'automations:write',
  'browser:read',
  'browser:write',
  'inference:read',
  'inference:write',
  'alerts:read',
  'alerts:write',
  'metrics:read',
] as const;
export type Scope = (typeof SCOPES)[number];
