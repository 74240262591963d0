/**
 * What the events operation groups share: their dependencies, the transactional write that records
 * domain events with the change, and the per-item error shape of batch mutations.
 */
import type { ClientSession, Connection } from 'mongoose';
import { isAppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { inTransaction, recordEvents, type DomainEvent } from '../kit/outbox.js';
import { withInputErrors } from '../kit/validation.js';
import type { EventsModels } from './models.js';
import type { References } from './references.js';

/** What every operation group needs. */
export interface EventsServiceOptions {
  conn: Connection;
  models: EventsModels;
  logger: Logger;
  /** Checks of referenced people and organizations at the people subgraph. */
  refs: References;
}

/** The result of a write: its value and the domain events to record with it. */
export interface WriteResult<T> {
  value: T;
  events: DomainEvent[];
}

/**
 * Runs `fn` in a transaction and records the domain events it returns in the same transaction.
 * Mongoose validation and cast errors become BAD_USER_INPUT under `prefix`.
 */
export function write<T>(d: EventsServiceOptions, fn: (session: ClientSession) => Promise<WriteResult<T>>, prefix = 'input'): Promise<T> {
  return withInputErrors(
    () =>
      inTransaction(d.conn, async (session) => {
        const { value, events } = await fn(session);
        if (events.length) await recordEvents(d.conn, session, events);
        return value;
      }),
    prefix,
  );
}

/** The error of one batch item, as the batch result reports it. */
export interface ItemError {
  code: string;
  message: string;
  target: string | null;
}

/** Turns an error of one batch item into its result entry; unexpected errors are logged and masked. */
export function itemError(err: unknown, logger: Logger): ItemError {
  if (isAppError(err)) {
    const ext = err.extensions as { code: string; details?: string; target?: string };
    return { code: ext.code, message: ext.details ?? err.message, target: ext.target ?? null };
  }
  logger.error({ err }, 'batch item failed');
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error', target: null };
}
