/**
 * Checks for mutation input that arrives typed `unknown` (building on validation.ts): each throws
 * BAD_USER_INPUT with the field path as `target`. Also: duplicate-key errors as CONFLICT on the input
 * field, regex escaping for search filters, and a guard for free-form JSON that is stored.
 */
import { appError, badInput, isAppError } from '../../platform/errors.js';
import { checkHttpUrl, checkInt, checkText, fromMongooseError, isDuplicateKeyError } from './validation.js';

/** How database errors of one write are reported. */
export interface DbErrorOptions {
  /** Prefix for field paths of validation errors, e.g. `input`. */
  prefix?: string;
  /** Unique-index field → target of the CONFLICT error, e.g. `{ email: 'input.email' }`. */
  conflicts?: Record<string, string>;
  /** Message of the CONFLICT error. */
  conflictMessage?: string;
}

/**
 * Converts a database error into a registered error: validation and cast errors become
 * BAD_USER_INPUT (see fromMongooseError); a duplicate key (11000) becomes CONFLICT with `target`
 * the input field of the unique index (read from `keyPattern`, else from the error message).
 */
export function mapDbError(err: unknown, opts: DbErrorOptions = {}): unknown {
  const { prefix = 'input', conflicts = {}, conflictMessage = 'The request conflicts with an existing record' } = opts;
  if (isAppError(err)) return err;
  const invalid = fromMongooseError(err, prefix);
  if (invalid) return invalid;
  if (isDuplicateKeyError(err)) {
    const e = err as { keyPattern?: Record<string, unknown>; message?: unknown };
    const message = typeof e.message === 'string' ? e.message : '';
    const field = Object.keys(e.keyPattern ?? {})[0] ?? Object.keys(conflicts).find((f) => message.includes(f));
    const target = field ? (conflicts[field] ?? (prefix ? `${prefix}.${field}` : field)) : undefined;
    return appError('CONFLICT', conflictMessage, { target, details: field ? `A record with this ${field} already exists` : undefined });
  }
  return err;
}

/** Runs a database write and rethrows its failure through `mapDbError`. */
export async function withDbErrors<T>(fn: () => Promise<T>, opts: DbErrorOptions = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapDbError(err, opts);
  }
}

/** Escapes a string for literal use inside a RegExp (search filters). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A string, trimmed, with length bounds (default: non-empty, at most 500). */
export function requireString(value: unknown, target: string, { min = 1, max = 500 }: { min?: number; max?: number } = {}): string {
  if (typeof value !== 'string') throw badInput(target, 'must be a string');
  return checkText(value, target, { min, max });
}

/** Like requireString; undefined and null pass through as undefined. */
export function optionalString(value: unknown, target: string, bounds: { min?: number; max?: number } = {}): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, target, bounds);
}

/** A whole number within bounds. */
export function requireInt(value: unknown, target: string, bounds: { min?: number; max?: number } = {}): number {
  if (typeof value !== 'number') throw badInput(target, 'must be a whole number');
  return checkInt(value, target, bounds);
}

/** One of a fixed set of values. */
export function requireEnum<T extends string>(value: unknown, target: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw badInput(target, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An email address, trimmed and lower-cased. */
export function requireEmail(value: unknown, target: string): string {
  const s = requireString(value, target, { max: 254 }).toLowerCase();
  if (!EMAIL_RE.test(s)) throw badInput(target, 'must be an email address');
  return s;
}

const LOOPBACK: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An http(s) URL given as `unknown`. */
export function requireHttpUrl(value: unknown, target: string): string {
  return checkHttpUrl(requireString(value, target, { max: 2048 }), target);
}

/**
 * A URL the platform calls out to: https, or http only for a loopback host (local development);
 * credentials inside the URL are refused.
 */
export function requireOutboundUrl(value: unknown, target: string): string {
  const url = new URL(requireHttpUrl(value, target));
  if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) throw badInput(target, 'must use https (http is allowed only for localhost)');
  if (url.username || url.password) throw badInput(target, 'must not contain credentials');
  return url.toString();
}

/** True for a plain object (not an array, Date, ObjectId, …). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks a free-form JSON value before it is stored: only JSON types, bounded depth and key count,
 * no keys starting with `$` or containing `.` (they would read as operators or paths in MongoDB).
 */
export function assertSafeJson(value: unknown, target: string, { maxDepth = 8, maxKeys = 200 }: { maxDepth?: number; maxKeys?: number } = {}): void {
  let keys = 0;
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > maxDepth) throw badInput(path, `nesting deeper than ${maxDepth} levels`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw badInput(path, 'must be a finite number');
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}.${i}`, depth + 1));
      return;
    }
    if (!isPlainObject(v)) throw badInput(path, 'must be JSON');
    for (const [k, item] of Object.entries(v)) {
      if (++keys > maxKeys) throw badInput(target, `more than ${maxKeys} keys`);
      if (k.startsWith('$') || k.includes('.') || k === '__proto__') throw badInput(`${path}.${k}`, "keys must not start with '$' or contain '.'");
      walk(item, `${path}.${k}`, depth + 1);
    }
  };
  walk(value, target, 0);
}
