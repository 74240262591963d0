/**
 * Partner credentials: API keys (`eg_live_<random>`) and OAuth2 client secrets. Secrets are shown
 * once and stored as SHA-256 over a per-record random salt and the secret; comparisons are
 * constant-time. An API key carries a public lookup id (its first characters after the prefix), so
 * verification is one indexed read.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Length of the lookup id at the start of an API key body. */
const KEY_ID_LENGTH = 12;
const KEY_RE = /^eg_(live|test)_([A-Za-z0-9_]{16,128})$/;

/** Random base62 string of `length` characters (rejection sampling, no modulo bias). */
function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** A salted hash of a secret: `{ salt, hash }`, both hex. */
export function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): { salt: string; hash: string } {
  return { salt, hash: createHash('sha256').update(salt).update(':').update(secret).digest('hex') };
}

/** Constant-time check of a secret against its stored salt and hash. */
export function secretMatches(secret: string, salt: string, hash: string): boolean {
  const actual = Buffer.from(hashSecret(secret, salt).hash, 'hex');
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Splits an API key into its environment and lookup id; null when it is not one of ours. */
export function parseApiKey(key: string): { env: 'live' | 'test'; keyId: string } | null {
  const [, env, body] = KEY_RE.exec(key) ?? [];
  if ((env !== 'live' && env !== 'test') || body === undefined) return null;
  return { env, keyId: body.slice(0, KEY_ID_LENGTH) };
}

/** The shown prefix of a key, e.g. `eg_live_AbC123xy…`. */
export function keyPrefixOf(key: string): string {
  return key.slice(0, key.indexOf('_', 3) + 1 + 8);
}

/** Fresh credentials for a new API client. */
export function newCredentials(): { apiKey: string; keyId: string; clientId: string; clientSecret: string } {
  const body = randomToken(40);
  return { apiKey: `eg_live_${body}`, keyId: body.slice(0, KEY_ID_LENGTH), clientId: `egc_${randomBytes(12).toString('hex')}`, clientSecret: `egs_${randomToken(40)}` };
}
