// Administration from the shell: `npm run cli -- <command>`. Uses the same configuration as the server
// (DATA_DIR / DATABASE_URL / REDIS_URL), so run it with the server's environment.
// First: server modules `import 'server-only'`, which throws outside Next unless this preload ran before them.
import './server-only-outside-next.cjs';
import { parseArgs } from 'node:util';
import { createOperatorInputSchema, createTokenInputSchema, parseDuration, passwordSchema } from '../src/server/auth/auth.schemas';
import { CLI_CALLER } from '../src/server/auth/caller';
import { parseScopes } from '../src/server/auth/token.service';
import { type Container, createContainer } from '../src/server/container';
import { waitUntilReady } from '../src/server/coordination/redis-connection';
import { errorMessage } from '../src/server/errors';
import { readPassword } from './read-password';

const USAGE = `Usage: npm run cli -- <command>

  tokens create --name NAME [--scopes a,b|all] [--expires-in 30d] [--tenant SLUG]
                                   create an API token; the token is printed alone on the last line
  tokens list                      list tokens (prefix, scopes, last used, expiry, revoked)
  tokens revoke NAME_OR_PREFIX     revoke a token (running consoles refuse it within a second)
  users create --email E --role admin|viewer
                                   create an operator of the web console (password from stdin)
  users passwd --email E           set an operator's password (from stdin); their sessions end
  users disable EMAIL              disable an operator; their sessions end at once
  users enable EMAIL               enable a disabled operator
  users end-sessions EMAIL         end every session of an operator

Passwords are read from stdin, never from the command line: type them at the prompt (not echoed), or pipe them,
e.g. printf '%s' "$PASSWORD" | npm run cli -- users create --email ops@example.com --role viewer

Default scopes for tokens create: automations:read,automations:write.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (!group || group === 'help' || group === '--help') {
    console.log(USAGE);
    return group ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
    },
  });

  if (values.password !== undefined) {
    throw new UsageError(
      '--password is not accepted: a password on the command line shows in `ps`, shell history and CI logs.\n' +
        'Type it at the prompt, or pipe it: printf \'%s\' "$PASSWORD" | npm run cli -- ' +
        `${group} ${command ?? ''} …`,
    );
  }

  // A stray word after `users create …` is most likely a password typed where it does not belong.
  if (group === 'users' && (command === 'create' || command === 'passwd') && positionals.length > 0) {
    throw new UsageError(`users ${command} takes no arguments besides its options (passwords are read from stdin)`);
  }

  const c = await createContainer({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
  try {
    const carrier = await reachOtherProcesses(c);
    const code = await dispatch(c, `${group} ${command ?? ''}`.trim(), values, positionals);
    if (code === 0 && carrier) console.error(carrier);
    return code;
  } finally {
    await c.close();
  }
}

/**
 * The CLI tells the running consoles what it changed through the same change bus they use: Redis pub/sub when
 * REDIS_URL is set, the database's change feed otherwise (DESIGN: coordination/change-bus.ts). The Redis
 * connection fails fast while not ready, so wait for it; returns a warning to print when the consoles will only
 * notice once their caches expire.
 */
async function reachOtherProcesses(c: Container): Promise<string | null> {
  if (!c.redis) return null;
  try {
    await waitUntilReady(c.redis.commands, 3000);
    return null;
  } catch (error) {
    return `Warning: Redis is unreachable (${errorMessage(error)}); running consoles see this change once their caches expire (5 s at most).`;
  }
}

/** The operator named by `--email` or the first positional argument. */
async function operatorNamed(c: Container, email: string | undefined, usage: string) {
  if (!email) throw new UsageError(usage);
  return c.operators.byEmail(email);
}

async function passwordFromStdin(): Promise<string> {
  const password = await readPassword();
  const parsed = passwordSchema.safeParse(password);
  if (!parsed.success) {
    const reason = password === '' ? 'no password on stdin' : parsed.error.issues.map((i) => i.message).join('; ');
    throw new UsageError(`password: ${reason}. Pipe it (printf '%s' "$PASSWORD" | …) or type it at the prompt.`);
  }
  return parsed.data;
}

async function dispatch(c: Container, command: string, values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  switch (command) {
    case 'tokens create': {
      const name = str('name');
      if (!name) throw new UsageError('tokens create needs --name NAME');
      const scopes = parseScopes(str('scopes') ?? 'automations:read,automations:write');
      const expiresText = str('expires-in');
      const expiresInSeconds = expiresText === undefined ? undefined : parseDuration(expiresText);
      if (expiresInSeconds === null) throw new UsageError(`--expires-in "${expiresText}" is not a duration like 30d, 12h, 45m or 3600s`);
      let tenantId: string | null = null;
      const slug = str('tenant');
      if (slug) {
        const tenant = await c.database.db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst();
        if (!tenant) throw new UsageError(`No tenant with slug "${slug}"`);
        tenantId = tenant.id;
      }
      const input = createTokenInputSchema.safeParse({ name, scopes, expiresInSeconds });
      if (!input.success) throw new UsageError(input.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
      const { token, view } = await c.tokens.create(CLI_CALLER, { ...input.data, tenantId });
      console.log(
        `Created token "${view.name}" (${view.prefix}…) with scopes ${view.scopes.join(', ')}${view.expiresAt ? `, expires ${view.expiresAt}` : ''}.`,
      );
      console.log('Store it now: it is shown only once.');
      console.log(token);
      return 0;
    }
    case 'tokens list': {
      const tokens = await c.tokens.list();
      if (tokens.length === 0) console.log('No tokens. Create one with: npm run cli -- tokens create --name NAME');
      for (const t of tokens) {
        const status = t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? `expired ${t.expiresAt}` : 'active';
        console.log(`${t.name}\t${t.prefix}…\t${t.scopes.join(',')}\tlast used ${t.lastUsedAt ?? 'never'}\texpires ${t.expiresAt ?? 'never'}\t${status}`);
      }
      return 0;
    }
    case 'tokens revoke': {
      const target = positionals[0];
      if (!target) throw new UsageError('tokens revoke needs NAME_OR_PREFIX');
      const view = await c.tokens.revoke(CLI_CALLER, target);
      console.log(`Revoked token "${view.name}" (${view.prefix}…); running consoles refuse it within a second.`);
      return 0;
    }
    case 'users create': {
      // Email and role are checked before the password is asked for, so a typo does not cost a prompt.
      const identity = createOperatorInputSchema.omit({ password: true }).safeParse({ email: str('email'), role: str('role') });
      if (!identity.success) {
        throw new UsageError(identity.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
      }
      const view = await c.operators.create(CLI_CALLER, { ...identity.data, password: await passwordFromStdin() });
      console.log(`Created ${view.role} ${view.email}.`);
      return 0;
    }
    case 'users passwd': {
      const operator = await operatorNamed(c, str('email'), 'users passwd needs --email E');
      await c.operators.setPassword(CLI_CALLER, operator.id, await passwordFromStdin());
      console.log(`Set the password of ${operator.email}; their sessions have ended on every console.`);
      return 0;
    }
    case 'users disable':
    case 'users enable': {
      const disable = command === 'users disable';
      const operator = await operatorNamed(c, positionals[0], `${command} needs EMAIL`);
      const view = await c.operators.setDisabled(CLI_CALLER, operator.id, disable);
      console.log(disable ? `Disabled ${view.email}; their sessions have ended on every console.` : `Enabled ${view.email}.`);
      return 0;
    }
    case 'users end-sessions': {
      const operator = await operatorNamed(c, positionals[0], 'users end-sessions needs EMAIL');
      const { ended } = await c.sessions.end(CLI_CALLER, operator.id, undefined);
      console.log(`Ended ${ended} session(s) of ${operator.email} on every console.`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else console.error(`Error: ${errorMessage(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
