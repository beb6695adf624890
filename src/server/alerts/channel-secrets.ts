import 'server-only';
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { ApiKeyCipher } from '../inference/api-key-cipher';
import type { AlertChannelTable } from '../db/tables/alerts.tables';
import type { SignatureScheme } from '../../shared/alert-metrics';
import { generateStandardSecret } from './webhook-signature';

type Channel = Selectable<AlertChannelTable>;

/** How long a rotated-out secret keeps signing when the rotation does not say (docs/alerts.md "Rotating a secret"). */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;

/** The keys a delivery signs with now: the current one first, then the previous one while its overlap lasts. */
export interface SigningKeys {
  secrets: string[];
  /** Why the current key could not be used (wrong CONSOLE_SECRET, corrupt row), or null. */
  problem: string | null;
}

/**
 * Webhook channel secrets at rest: sealed with the same AES-256-GCM cipher (and key source) as inference API keys,
 * under a key derived for this purpose, bound to the channel id. The clear text exists only in memory, for the
 * HMAC of a delivery, and once in the answer that generated it.
 */
export class ChannelSecrets {
  constructor(private readonly cipher: ApiKeyCipher) {}

  /** A new random secret in the scheme's form (returned once to the caller as `generatedSecret`). */
  generate(scheme: SignatureScheme): string {
    return scheme === 'standard-webhooks' ? generateStandardSecret() : randomBytes(32).toString('base64url');
  }

  /** Throws INVALID_INPUT on `path` when this console has no key to seal with (PostgreSQL without CONSOLE_SECRET). */
  seal(secret: string, channelId: string, path: string): string {
    if (!this.cipher.available) {
      const message =
        'webhook channels need CONSOLE_SECRET on this console: their signing secrets are stored encrypted, and with ' +
        'DATABASE_URL every instance must share one key. Set CONSOLE_SECRET (at least 32 characters, the same on every instance) and restart';
      throw new AppError('INVALID_INPUT', `Invalid request body: ${path}: ${message}`, { issues: [{ path, message }] });
    }
    return this.cipher.encrypt(secret, channelId);
  }

  signingKeys(channel: Pick<Channel, 'id' | 'secret' | 'secret_enc' | 'previous_secret_enc' | 'previous_secret_expires_at'>, now: number): SigningKeys {
    const secrets: string[] = [];
    let problem: string | null = null;
    if (channel.secret_enc !== null) {
      const current = this.cipher.decrypt(channel.secret_enc, channel.id);
      if (current.ok) secrets.push(current.value);
      else problem = 'the channel secret cannot be decrypted (was CONSOLE_SECRET changed?); rotate the secret';
    } else if (channel.secret !== null) {
      secrets.push(channel.secret); // not sealed yet (see sealLegacy)
    }
    if (channel.previous_secret_enc !== null && channel.previous_secret_expires_at !== null && Number(channel.previous_secret_expires_at) > now) {
      const previous = this.cipher.decrypt(channel.previous_secret_enc, channel.id);
      if (previous.ok) secrets.push(previous.value);
    }
    return { secrets, problem };
  }

  /**
   * Boot, after migrating: seals every secret still stored in clear (rows from before migration 0010) and empties
   * the clear column, one row at a time under a compare-and-set, so instances booting together do not clash.
   * Without a key (PostgreSQL and no CONSOLE_SECRET) nothing changes; returns how many rows remain in clear.
   */
  async sealLegacy(db: Kysely<Database>): Promise<{ sealed: number; remaining: number }> {
    const rows = await db.selectFrom('alert_channels').select(['id', 'secret']).where('secret', 'is not', null).execute();
    if (!this.cipher.available) return { sealed: 0, remaining: rows.length };
    let sealed = 0;
    for (const row of rows) {
      if (row.secret === null) continue;
      const result = await db
        .updateTable('alert_channels')
        .set({ secret_enc: this.cipher.encrypt(row.secret, row.id), secret: null })
        .where('id', '=', row.id)
        .where('secret', '=', row.secret)
        .executeTakeFirst();
      sealed += Number(result.numUpdatedRows);
    }
    return { sealed, remaining: 0 };
  }
}
