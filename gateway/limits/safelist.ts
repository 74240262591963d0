/**
 * Operation safelist for first-party apps: when a manifest is configured, only its operations run.
 *
 * The manifest is JSON in the Apollo persisted-query manifest shape:
 * `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "name", "type", "body" }] }`
 * (`format`/`version` optional). A request names an operation by
 * - its text (`query`), matched by the sha256 of the text as sent or of its normalised print, or
 * - a persisted-query id: `extensions.persistedQuery.sha256Hash`, `documentId` or `id`, matched
 *   against each operation's manifest `id` and the sha256 of its body.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse, print, type DocumentNode } from 'graphql';
import { ConfigError } from '../../platform/config.js';
import { appError } from '../../platform/errors.js';

/** The operations allowed to run, from a persisted-query manifest. */
export interface Safelist {
  /** Number of operations on the list. */
  readonly size: number;
  /**
   * The text to run for this request: the manifest body when the request names a listed id
   * (`listed: true`), or the request's own text (`listed` when it is on the list verbatim; otherwise
   * check `allowsDocument` once it is parsed). Throws PERSISTED_QUERY_NOT_ALLOWED for an unknown id
   * or a request with neither text nor id.
   */
  resolve(request: { query?: unknown; id?: unknown; documentId?: unknown; extensions?: unknown }): { text: string; listed: boolean };
  /** True when the document's normalised print is listed. */
  allowsDocument(document: DocumentNode): boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function notAllowed(details: string): Error {
  return appError('PERSISTED_QUERY_NOT_ALLOWED', 'The operation is not on the safelist', { details });
}

/** The id a request refers to, if any. */
function requestedId(request: { id?: unknown; documentId?: unknown; extensions?: unknown }): string | undefined {
  const ext = request.extensions;
  const pq = ext && typeof ext === 'object' ? (ext as Record<string, unknown>).persistedQuery : undefined;
  const hash = pq && typeof pq === 'object' ? (pq as Record<string, unknown>).sha256Hash : undefined;
  for (const candidate of [hash, request.documentId, request.id]) if (typeof candidate === 'string' && candidate !== '') return candidate.replace(/^sha256:/, '');
  return undefined;
}

/** Builds a safelist from a parsed manifest; throws ConfigError naming what is wrong. */
export function createSafelist(manifest: unknown): Safelist {
  const ops = manifest && typeof manifest === 'object' ? (manifest as Record<string, unknown>).operations : undefined;
  if (!Array.isArray(ops)) throw new ConfigError('the safelist manifest must have an "operations" array');
  const byId = new Map<string, string>();
  const texts = new Set<string>();
  for (const [i, op] of ops.entries()) {
    const o = (op ?? {}) as Record<string, unknown>;
    if (typeof o.body !== 'string' || o.body.trim() === '') throw new ConfigError(`safelist operation ${i} has no "body"`);
    let normalised: string;
    try {
      normalised = print(parse(o.body));
    } catch (err) {
      throw new ConfigError(`safelist operation ${i} does not parse: ${err instanceof Error ? err.message : String(err)}`);
    }
    const hash = sha256(o.body);
    byId.set(hash, o.body);
    if (typeof o.id === 'string' && o.id !== '') byId.set(o.id, o.body);
    texts.add(hash);
    texts.add(sha256(normalised));
  }
  return {
    size: ops.length,
    resolve(request) {
      if (typeof request.query === 'string' && request.query !== '') return { text: request.query, listed: texts.has(sha256(request.query)) };
      const id = requestedId(request);
      if (id === undefined) throw notAllowed('Send a listed operation or its persisted-query id');
      const body = byId.get(id);
      if (body === undefined) throw notAllowed(`No listed operation has the id '${id.slice(0, 80)}'`);
      return { text: body, listed: true };
    },
    allowsDocument: (document) => texts.has(sha256(print(document))),
  };
}

/** Reads a manifest file. */
export async function loadSafelist(path: string): Promise<Safelist> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`SAFELIST_PATH cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return createSafelist(JSON.parse(text));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`SAFELIST_PATH ${path}: ${err.message}`);
    throw new ConfigError(`SAFELIST_PATH ${path} is not valid JSON`);
  }
}
