/**
 * Relay connections over mongoose queries with opaque, stable cursors.
 *
 * Order is (sortField, _id), so cursors stay valid while documents are inserted; a cursor encodes
 * the sort value and the _id of the last edge. Page size defaults to 20 and is capped at 100.
 */
import type { Model, QueryFilter } from 'mongoose';
import { Types } from 'mongoose';
import { badInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null; hasPreviousPage: boolean; startCursor: string | null };
  /** Resolved lazily: only counted when the client selects it. */
  totalCount: () => Promise<number>;
}

export interface PaginateOptions<T> {
  filter?: QueryFilter<T>;
  /** Field to order by (besides _id as tie-breaker). Default `_id`. */
  sortField?: string;
  direction?: 1 | -1;
  page: PageArgs;
}

type CursorValue = string | number | boolean | null | { $date: string };

function encodeValue(v: unknown): CursorValue {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (v instanceof Types.ObjectId) return v.toHexString();
  if (v === undefined) return null;
  return v as CursorValue;
}

function decodeValue(v: CursorValue): unknown {
  if (v && typeof v === 'object' && '$date' in v) return new Date(v.$date);
  return v;
}

/** Validates `first`: default 20, 0..100, BAD_USER_INPUT otherwise. */
export function pageSize(first: number | null | undefined, target = 'first'): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(target, `first must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/** Encodes an opaque cursor. */
export function encodeCursor(sortValue: unknown, id: unknown): string {
  const payload = JSON.stringify([encodeValue(sortValue), String(id)]);
  return Buffer.from(payload, 'utf8').toString('base64url');
}

/** Decodes a cursor; a malformed one is BAD_USER_INPUT at `after`. */
export function decodeCursor(cursor: string, target = 'after'): { value: unknown; id: Types.ObjectId } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && /^[0-9a-f]{24}$/.test(parsed[1])) {
      return { value: decodeValue(parsed[0] as CursorValue), id: new Types.ObjectId(parsed[1]) };
    }
  } catch {
    /* fall through */
  }
  throw badInput(target, 'The cursor is not valid for this list');
}

/** Runs one page of a connection: one query for the page (+1 to know hasNextPage). */
export async function paginate<T extends { _id: unknown }>(model: Model<T>, opts: PaginateOptions<T>): Promise<Connection<T>> {
  const sortField = opts.sortField ?? '_id';
  const dir = opts.direction ?? 1;
  const first = pageSize(opts.page.first);
  const base = (opts.filter ?? {}) as Record<string, unknown>;
  let filter: Record<string, unknown> = base;
  if (opts.page.after) {
    const { value, id } = decodeCursor(opts.page.after);
    const cmp = dir === 1 ? '$gt' : '$lt';
    const after =
      sortField === '_id'
        ? { _id: { [cmp]: id } }
        : { $or: [{ [sortField]: { [cmp]: value } }, { [sortField]: value, _id: { [cmp]: id } }] };
    filter = Object.keys(base).length ? { $and: [base, after] } : after;
  }
  const sort: Record<string, 1 | -1> = sortField === '_id' ? { _id: dir } : { [sortField]: dir, _id: dir };
  const docs = first === 0 ? [] : ((await model.find(filter as QueryFilter<T>).sort(sort).limit(first + 1).lean().exec()) as unknown as T[]);
  const page = docs.slice(0, first);
  const edges = page.map((node) => ({
    cursor: encodeCursor(sortField === '_id' ? null : (node as Record<string, unknown>)[sortField], node._id),
    node,
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: docs.length > first,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
      hasPreviousPage: Boolean(opts.page.after),
      startCursor: edges.length ? edges[0].cursor : null,
    },
    totalCount: () => model.countDocuments(base as QueryFilter<T>).exec(),
  };
}
