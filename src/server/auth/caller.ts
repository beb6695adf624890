import 'server-only';
import type { RunTrigger } from '../db/schema';
import type { Role } from './auth.schemas';

/**
 * Who is calling a service, built once per transport (the REST token gate, the tRPC context) or by the server
 * itself, and passed FIRST to every service method that needs to know. One shape for every surface, so a rule
 * about callers (tenant restriction, what is recorded as the actor) is written once, in the service.
 */
export interface Caller {
  kind: 'token' | 'operator' | 'system';
  /** As recorded on runs, pauses and the audit log: `token:<name>`, `operator:<email>` or `system:<what>`. */
  label: string;
  /** The only tenant this caller may see, or null for all (operators, unrestricted tokens, the server itself). */
  tenantId: string | null;
  /** An operator's role; tokens and the server have none (the token's scopes say what it may do). */
  role?: Role;
  /** A token's scopes, checked by the token gate before a handler runs. */
  scopes?: ReadonlySet<string>;
  /** The surface the call came through, recorded on the runs it starts. */
  trigger: RunTrigger;
}

export function tokenCaller(principal: { name: string; tenantId: string | null; scopes: ReadonlySet<string> }): Caller {
  return { kind: 'token', label: `token:${principal.name}`, tenantId: principal.tenantId, scopes: principal.scopes, trigger: 'api' };
}

export function operatorCaller(operator: { email: string; role: Role }): Caller {
  return { kind: 'operator', label: `operator:${operator.email}`, tenantId: null, role: operator.role, trigger: 'console' };
}

/** The server acting on its own (scheduler, boot): sees every tenant. */
export function systemCaller(what: string, trigger: RunTrigger): Caller {
  return { kind: 'system', label: `system:${what}`, tenantId: null, trigger };
}

/** The command-line tool (`npm run cli`), run by whoever holds the database: sees every tenant, recorded as `cli` as it always was. */
export const CLI_CALLER: Caller = { kind: 'system', label: 'cli', tenantId: null, trigger: 'api' };
