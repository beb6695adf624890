import 'server-only';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, errorMessage } from '../errors';

/** Where the key that protects stored API keys comes from; see docs/inference.md "API keys at rest". */
export type KeySource = { kind: 'configured' | 'generated'; key: Buffer } | { kind: 'unavailable'; reason: string };

/** The file in DATA_DIR that holds the generated console secret of an embedded (single-machine) console. */
export const GENERATED_SECRET_FILE = 'console-secret';

/** v2: bound to the server and its base URL's origin ({@link apiKeyBinding}). v1 (before): the server id alone. */
const FORMAT = 'v2';
const LEGACY_FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Picks the key: derived from CONSOLE_SECRET when set; otherwise, for the embedded SQLite console, from a secret
 * generated once into DATA_DIR; otherwise (PostgreSQL, several instances with their own DATA_DIRs, which would
 * each generate a different secret) no key, and storing an API key is refused with instructions.
 */
export function resolveKeySource(options: { consoleSecret?: string; databaseUrl?: string; dataDir: string; purpose?: string }): KeySource {
  const purpose = options.purpose ?? INFERENCE_API_KEY_PURPOSE;
  if (options.consoleSecret) return { kind: 'configured', key: deriveKey(options.consoleSecret, purpose) };
  if (!options.databaseUrl) return { kind: 'generated', key: deriveKey(loadOrCreateSecret(options.dataDir), purpose) };
  return {
    kind: 'unavailable',
    reason:
      'This console cannot store API keys: CONSOLE_SECRET is not set, and with DATABASE_URL every instance must share ' +
      'one key. Set CONSOLE_SECRET (at least 32 characters, the same on every instance, e.g. the output of ' +
      '`openssl rand -base64 48`) and restart, or leave apiKey out.',
  };
}

const INFERENCE_API_KEY_PURPOSE = 'inference-server-api-key:v1';

/** A separate key per purpose (inference API keys, webhook channel secrets), so no key is reused across them. */
function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'automations-console', purpose, 32));
}

/**
 * Reads DATA_DIR/console-secret, creating it on first use. Created under a temporary name and linked into place,
 * so two processes starting together on one DATA_DIR agree on one secret and never read a half-written file.
 */
export function loadOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, GENERATED_SECRET_FILE);
  const existing = readSecret(file);
  if (existing) return existing;
  fs.mkdirSync(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  const secret = readSecret(file);
  if (!secret) throw new Error(`${file} is empty; delete it to generate a new console secret (stored API keys are then lost)`);
  return secret;
}

function readSecret(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export type DecryptResult = { ok: true; value: string } | { ok: false; error: string };

/**
 * What an inference server's API key is bound to: the server and the origin (scheme, host, port) of its base URL.
 * A key decrypts only for the origin it was given for, so it is never sent to another host — whatever changed the
 * URL (the API refuses an origin change without the key, and this holds even if the row were edited by hand).
 */
export function apiKeyBinding(serverId: string, baseUrl: string): string {
  return `${serverId} ${new URL(baseUrl).origin}`;
}

/**
 * AES-256-GCM for inference servers' API keys. A stored value is `v2.<key id>.<base64url(iv | tag | ciphertext)>`;
 * the key id (a hash prefix of the key) tells "encrypted with another key" apart from corruption, and the
 * binding ({@link apiKeyBinding}) is the associated data, so a ciphertext copied onto another server's row, or left
 * on a row whose URL now points elsewhere, does not decrypt. Values stored before origin binding (`v1`, bound to
 * the server id alone) decrypt only where the caller passes `legacyBoundTo`: the rebinding at start.
 */
export class ApiKeyCipher {
  private readonly keyId: string | null;

  constructor(private readonly source: KeySource) {
    this.keyId = source.kind === 'unavailable' ? null : createHash('sha256').update(source.key).digest('hex').slice(0, 8);
  }

  /** A value stored before origin binding (rebound at start by the inference module). */
  static isLegacy(stored: string): boolean {
    return stored.startsWith(`${LEGACY_FORMAT}.`);
  }

  get available(): boolean {
    return this.source.kind !== 'unavailable';
  }

  /** Throws INVALID_INPUT (on `apiKey`) when no key is configured, saying how to configure one. */
  encrypt(plaintext: string, boundTo: string): string {
    if (this.source.kind === 'unavailable' || this.keyId === null) {
      throw new AppError('INVALID_INPUT', this.source.kind === 'unavailable' ? this.source.reason : 'No key', {
        issues: [{ path: 'apiKey', message: 'cannot be stored without CONSOLE_SECRET' }],
      });
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.source.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}.${this.keyId}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Never throws: a value that cannot be decrypted is a reason, reported as the server's poll error. */
  decrypt(stored: string, boundTo: string, legacyBoundTo?: string): DecryptResult {
    if (this.source.kind === 'unavailable') return { ok: false, error: `The stored API key cannot be used: ${this.source.reason}` };
    const [format, keyId, payload] = stored.split('.');
    if (format === LEGACY_FORMAT && legacyBoundTo === undefined) {
      return { ok: false, error: "The stored API key is not yet bound to this server's address; it is bound at the next start, or set it again" };
    }
    if ((format !== FORMAT && format !== LEGACY_FORMAT) || !keyId || payload === undefined)
      return { ok: false, error: 'The stored API key is unreadable; set it again' };
    if (keyId !== this.keyId) {
      return {
        ok: false,
        error: `The stored API key was encrypted with another console secret (key ${keyId}, this console uses ${this.keyId}); restore that CONSOLE_SECRET or set the API key again`,
      };
    }
    try {
      const raw = Buffer.from(payload, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.source.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(format === LEGACY_FORMAT ? (legacyBoundTo ?? '') : boundTo));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const value = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: `The stored API key failed its integrity check for this server and address (${errorMessage(error)}); set it again` };
    }
  }
}
