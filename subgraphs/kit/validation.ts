/**
 * Input validation shared by the subgraphs: mongoose validation and cast errors become
 * BAD_USER_INPUT with the input field path as `target`, duplicate-key errors are recognised, and a
 * few checks for values that arrive at the edges typed `unknown`.
 */
import mongoose from 'mongoose';
import type { GraphQLError } from 'graphql';
import { appError, badInput } from '../../platform/errors.js';

/** One invalid field: `target` is the input path (e.g. `input.endsAt`). */
export interface FieldError {
  target: string;
  message: string;
}

function joinPath(prefix: string, path: string): string {
  return prefix ? `${prefix}.${path}` : path;
}

/**
 * Converts a mongoose ValidationError or CastError into BAD_USER_INPUT. The first invalid field is
 * the error's `target`; every invalid field is listed in `extensions.fieldErrors`. `fieldMap`
 * renames document paths to input paths (e.g. `{ attendeeId: 'attendeeId' }`). Answers null for
 * any other error.
 */
export function fromMongooseError(err: unknown, prefix = 'input', fieldMap: Record<string, string> = {}): GraphQLError | null {
  const rename = (path: string) => joinPath(prefix, fieldMap[path] ?? path);
  if (err instanceof mongoose.Error.ValidationError) {
    const fieldErrors: FieldError[] = Object.values(err.errors).map((e) => ({ target: rename(e.path), message: e.message }));
    const first = fieldErrors[0] ?? { target: prefix, message: err.message };
    return appError('BAD_USER_INPUT', 'The input is invalid', { target: first.target, details: first.message, extra: { fieldErrors } });
  }
  if (err instanceof mongoose.Error.CastError) {
    return badInput(rename(err.path), `'${String(err.value).slice(0, 64)}' is not a valid ${err.kind}`);
  }
  return null;
}

/** Runs `fn`, rethrowing mongoose validation and cast errors as BAD_USER_INPUT (see fromMongooseError). */
export async function withInputErrors<T>(fn: () => Promise<T>, prefix = 'input', fieldMap: Record<string, string> = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromMongooseError(err, prefix, fieldMap) ?? err;
  }
}

/** True for a MongoDB duplicate-key error (code 11000), also when wrapped by a bulk write. */
export function isDuplicateKeyError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; writeErrors?: Array<{ code?: unknown; err?: { code?: unknown } }>; cause?: unknown };
  if (e.code === 11000 || e.code === 11001) return true;
  if (Array.isArray(e.writeErrors) && e.writeErrors.some((w) => w.code === 11000 || w.err?.code === 11000)) return true;
  return e.cause !== undefined && e.cause !== err && isDuplicateKeyError(e.cause);
}

/** Checks a string's trimmed length; answers the trimmed string. */
export function checkText(value: string, target: string, { min = 0, max }: { min?: number; max: number }): string {
  const trimmed = value.trim();
  if (trimmed.length < min) throw badInput(target, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (trimmed.length > max) throw badInput(target, `must be at most ${max} characters`);
  return trimmed;
}

/** Like checkText for optional values: null/undefined pass through, an empty string becomes null. */
export function optionalText(value: string | null | undefined, target: string, max: number): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = checkText(value, target, { max });
  return trimmed === '' ? null : trimmed;
}

/** Checks an absolute http(s) URL. */
export function checkHttpUrl(value: string, target: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput(target, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badInput(target, 'must use http or https');
  return url.toString();
}

/** Checks an IANA time zone name (e.g. Europe/Berlin). */
export function checkTimeZone(value: string, target: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw badInput(target, `'${value.slice(0, 64)}' is not an IANA time zone`);
  }
}

/** Checks a whole number within bounds. */
export function checkInt(value: number, target: string, { min, max }: { min?: number; max?: number }): number {
  if (!Number.isInteger(value)) throw badInput(target, 'must be a whole number');
  if (min !== undefined && value < min) throw badInput(target, `must be at least ${min}`);
  if (max !== undefined && value > max) throw badInput(target, `must be at most ${max}`);
  return value;
}

/** Checks that `end` is after `start`; the error targets the end field. */
export function checkRange(start: Date, end: Date, endTarget: string, endName = 'endsAt', startName = 'startsAt'): void {
  if (end.getTime() <= start.getTime()) throw badInput(endTarget, `${endName} must be after ${startName}`);
}
