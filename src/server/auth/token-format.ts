import 'server-only';
import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const TOKEN_PREFIX = 'cpeer_';
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(secret: string): string {
  return base62(crc32(secret), CHECKSUM_LENGTH);
}

/**
 * A new API token: `cpeer_` + 32 random base62 characters (≈190 bits) + a 6-character CRC32 checksum, so
 * typos and scanners' guesses are rejected without a database lookup, and secret scanners can recognise it.
 */
export function generateToken(): string {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += ALPHABET[randomInt(62)];
  return `${TOKEN_PREFIX}${secret}${checksum(secret)}`;
}

/** Whether the text has the token shape and a matching checksum. */
export function isWellFormedToken(token: string): boolean {
  if (!TOKEN_PATTERN.test(token)) return false;
  const secret = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + SECRET_LENGTH);
  return token.slice(TOKEN_PREFIX.length + SECRET_LENGTH) === checksum(secret);
}

/** What is stored: the SHA-256 of the whole token, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What is shown to identify a token without revealing it, e.g. `cpeer_AbC1`. */
export function displayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 4);
}
