import 'server-only';
import type { Logger } from '../logger';
import { ApiKeyCipher, apiKeyBinding } from './api-key-cipher';
import type { InferenceRepository } from './inference.repository';

/**
 * Binds API keys stored before keys were bound to an origin (`v1`, bound to the server id alone) to the origin
 * their server has now — the only address they could have been sent to before the upgrade. Runs at start, before
 * the scheduler, so the poller never sends an unbound key (it refuses `v1` values). A key that cannot be read is
 * left as it is (its poll says why). Safe to run on several instances at once: each replacement is a
 * compare-and-set on the old value. Returns how many were bound.
 */
export async function bindLegacyApiKeys(repository: InferenceRepository, cipher: ApiKeyCipher, logger: Logger): Promise<number> {
  if (!cipher.available) return 0;
  let bound = 0;
  for (const row of await repository.legacyKeyServers()) {
    if (row.api_key_enc === null || !ApiKeyCipher.isLegacy(row.api_key_enc)) continue;
    const binding = apiKeyBinding(row.id, row.base_url);
    const key = cipher.decrypt(row.api_key_enc, binding, row.id);
    if (!key.ok) {
      logger.warn({ server: row.id, error: key.error }, 'stored API key could not be bound to its address');
      continue;
    }
    if (await repository.replaceApiKey(row.id, row.api_key_enc, cipher.encrypt(key.value, binding))) bound++;
  }
  if (bound > 0) logger.info({ bound }, "bound stored API keys to their servers' addresses");
  return bound;
}
