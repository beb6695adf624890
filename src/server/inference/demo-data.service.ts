import 'server-only';
import type { Caller } from '../auth/caller';
import { AppError } from '../errors';
import type { TenantService } from '../tenants/tenant.service';
import type { TenantView } from '../tenants/tenants.schemas';
import type { ApiKeyCipher } from './api-key-cipher';
import { DEMO_API_KEY, DEMO_KINDS, type DemoFleet } from './demo-fleet';
import type { InferenceServersService } from './inference-servers.service';
import type { DemoStatus, ServerView } from './inference.schemas';

export const DEMO_TENANT = { name: 'Demo', slug: 'demo' } as const;

/**
 * "Load demo data": a `demo` tenant with one server of each kind pointing at this instance's demo fleet, polled
 * every 10 s. Idempotent: servers that already exist (by name) are kept, missing ones are added.
 */
export class DemoDataService {
  constructor(
    private readonly deps: {
      fleet: DemoFleet | null;
      tenants: TenantService;
      servers: InferenceServersService;
      cipher: ApiKeyCipher;
    },
  ) {}

  status(): DemoStatus {
    return { enabled: this.deps.fleet !== null, baseUrl: this.deps.fleet?.baseUrl ?? null };
  }

  async load(caller: Caller): Promise<{ tenant: TenantView; servers: ServerView[]; created: number }> {
    const root = this.deps.fleet?.baseUrl;
    if (!root) {
      throw new AppError(
        'CONFLICT',
        this.deps.fleet
          ? 'The demo fleet is not running on this instance (see the log for why it did not start)'
          : 'The demo fleet is off: start the console with DEMO_FLEET=on to serve simulated inference servers',
      );
    }
    const tenant = (await this.deps.tenants.findBySlug(DEMO_TENANT.slug)) ?? (await this.deps.tenants.create(caller, DEMO_TENANT));
    const existing = new Set((await this.deps.servers.list(caller, { tenantId: tenant.id })).map((s) => s.name));
    let created = 0;
    for (const kind of DEMO_KINDS) {
      const name = `demo-${kind}`;
      if (existing.has(name)) continue;
      await this.deps.servers.create(caller, {
        tenantId: tenant.id,
        name,
        kind,
        baseUrl: `${root}/${kind}`,
        pollIntervalSeconds: 10,
        enabled: true,
        // Exercises key encryption where a key can be stored; the demo endpoint also accepts no key.
        apiKey: kind === 'openai' && this.deps.cipher.available ? DEMO_API_KEY : undefined,
      });
      created++;
    }
    const servers = await this.deps.servers.list(caller, { tenantId: tenant.id });
    return { tenant: await this.deps.tenants.get(caller, tenant.id), servers, created };
  }
}
