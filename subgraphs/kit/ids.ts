/** Identifier helpers: ids are ObjectId hex strings on the graph. */
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { badInput } from '../../platform/errors.js';

/** Parses an ID argument; an invalid id is BAD_USER_INPUT at `target`. */
export function toObjectId(id: unknown, target = 'id'): Types.ObjectId {
  if (typeof id === 'string' && /^[0-9a-fA-F]{24}$/.test(id)) return new Types.ObjectId(id);
  throw badInput(target, `'${String(id).slice(0, 64)}' is not a valid ID`);
}

/** Like toObjectId but answers null for an invalid id (lookups by id then simply find nothing). */
export function maybeObjectId(id: unknown): Types.ObjectId | null {
  return typeof id === 'string' && /^[0-9a-fA-F]{24}$/.test(id) ? new Types.ObjectId(id) : null;
}

/**
 * A stable ObjectId for demo data: the same (kind, index) gives the same id in every subgraph, so
 * each subgraph can seed its own database and the references still meet.
 */
export function demoId(kind: string, index: number): Types.ObjectId {
  const hex = createHash('sha1').update(`${kind}:${index}`).digest('hex').slice(0, 24);
  return new Types.ObjectId(hex);
}
