import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { displayPrefix, generateToken, hashToken, isWellFormedToken, TOKEN_PREFIX } from './token-format';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The token with the character at `index` replaced by the next one of the base62 alphabet. */
function flip(token: string, index: number): string {
  const current = token.charAt(index);
  const replacement = ALPHABET.charAt((ALPHABET.indexOf(current) + 1) % ALPHABET.length);
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

describe('generateToken', () => {
  it('makes well-formed tokens: the prefix, then 38 base62 characters', () => {
    const token = generateToken();
    expect(TOKEN_PREFIX).toBe('cpeer_');
    expect(token.startsWith('cpeer_')).toBe(true);
    expect(token.slice('cpeer_'.length)).toMatch(/^[0-9A-Za-z]{38}$/);
    expect(isWellFormedToken(token)).toBe(true);
  });

  it('never repeats itself across 1000 tokens, and every one is well formed', () => {
    const tokens = Array.from({ length: 1000 }, () => generateToken());
    expect(new Set(tokens).size).toBe(1000);
    expect(tokens.filter((token) => !isWellFormedToken(token))).toEqual([]);
  });
});

describe('isWellFormedToken', () => {
  it('rejects a token with any single character changed, in the secret or in the checksum', () => {
    for (let sample = 0; sample < 5; sample++) {
      const token = generateToken();
      // Every position after the prefix: 32 secret characters, then 6 checksum characters.
      for (let index = TOKEN_PREFIX.length; index < token.length; index++) {
        expect(isWellFormedToken(flip(token, index)), `${token} changed at ${index}`).toBe(false);
      }
    }
  });

  it('rejects another prefix, a wrong length and characters outside base62', () => {
    const token = generateToken();
    expect(isWellFormedToken(`cpeex_${token.slice(6)}`)).toBe(false);
    expect(isWellFormedToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedToken(`${token}0`)).toBe(false);
    expect(isWellFormedToken(`${token.slice(0, 10)}-${token.slice(11)}`)).toBe(false);
    expect(isWellFormedToken(` ${token}`)).toBe(false);
    expect(isWellFormedToken('')).toBe(false);
  });
});

describe('hashToken', () => {
  it('is the hex SHA-256 of the whole token', () => {
    const token = generateToken();
    expect(hashToken(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(flip(token, 10))).not.toBe(hashToken(token));
  });
});

describe('displayPrefix', () => {
  it('shows the prefix and the first four secret characters only', () => {
    const token = generateToken();
    expect(displayPrefix(token)).toHaveLength('cpeer_'.length + 4);
    expect(displayPrefix(token)).toBe(token.slice(0, 10));
  });
});
