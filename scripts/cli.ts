// Administration from the shell: `npm run cli -- <command>`. Uses the same configuration as the server
// (DATA_DIR / DATABASE_URL / REDIS_URL), so run it with the server's environment.
import { parseArgs } from 'node:util';
import { createOperatorInputSchema, createTokenInputSchema, parseDuration } from '../src/server/auth/auth.schemas';
import { parseScopes } from '../src/server/auth/token.service';
import { type Container, createContainer } from '../src/server/container';
import { errorMessage } from '../src/server/errors';

const USAGE = `Usage: npm run cli -- <command>

  tokens create --name NAME [--scopes a,b|all] [--expires-in 30d] [--tenant SLUG]
                                   create an API token; the token is printed alone on the last line
  tokens list                      list tokens (prefix, scopes, last used, expiry, revoked)
  tokens revoke NAME_OR_PREFIX     revoke a token (effective on every instance at once)
  users create --email E --password P --role admin|viewer
                                   create an operator of the web console

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

  const c = await createContainer({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
  try {
    return await dispatch(c, `${group} ${command ?? ''}`.trim(), values, positionals);
  } finally {
    await c.bus.close();
    c.redis?.commands.disconnect();
    c.redis?.subscriber.disconnect();
    await c.database.close();
  }
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
      const { token, view } = await c.tokens.create({ ...input.data, tenantId }, 'cli');
      console.log(`Created token "${view.name}" (${view.prefix}…) with scopes ${view.scopes.join(', ')}${view.expiresAt ? `, expires ${view.expiresAt}` : ''}.`);
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
      const view = await c.tokens.revoke(target, 'cli');
      console.log(`Revoked token "${view.name}" (${view.prefix}…).`);
      return 0;
    }
    case 'users create': {
      const parsed = createOperatorInputSchema.safeParse({ email: str('email'), password: str('password'), role: str('role') });
      if (!parsed.success) {
        throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
      }
      const view = await c.operators.create(parsed.data, 'cli');
      console.log(`Created ${view.role} ${view.email}.`);
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
