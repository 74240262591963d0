/**
 * Domain events of the integrations subgraph: sync job status changes and progress, written to
 * the outbox in the same transaction. Topic `sync:<jobId>`; the payload is the job as JSON, from
 * which the subscription resolver rebuilds the job without a database read.
 */
import { Types } from 'mongoose';
import type { DomainEvent } from '../kit/outbox.js';
import { isoOrNull } from '../kit/scalars.js';
import type { SyncJobDoc, SyncKind, SyncStatus } from './models.js';

/** Event type for a job that reached `status`. */
function syncEventType(status: SyncStatus): string {
  if (status === 'SUCCEEDED') return 'sync.completed';
  if (status === 'FAILED') return 'sync.failed';
  if (status === 'CANCELLED') return 'sync.cancelled';
  return 'sync.progress';
}

/** The topic of a job's events. */
export const syncTopic = (jobId: string): string => `sync:${jobId}`;

/** The job as JSON (ids as hex, dates as ISO strings). */
function syncJobJson(j: SyncJobDoc): Record<string, unknown> {
  return {
    id: j._id.toHexString(),
    connectorId: j.connectorId.toHexString(),
    eventId: j.eventId ? j.eventId.toHexString() : null,
    kind: j.kind,
    status: j.status,
    processed: j.processed,
    total: j.total,
    errors: [...j.errorMessages],
    checkpoint: j.checkpoint,
    startedAt: isoOrNull(j.startedAt),
    finishedAt: isoOrNull(j.finishedAt),
    createdAt: isoOrNull(j.createdAt),
    updatedAt: isoOrNull(j.updatedAt),
  };
}

/** Rebuilds a job document from an event payload. */
export function syncJobFromJson(p: Record<string, unknown>): SyncJobDoc {
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : null);
  const status = p.status as SyncStatus;
  return {
    _id: new Types.ObjectId(String(p.id)),
    connectorId: new Types.ObjectId(String(p.connectorId)),
    eventId: typeof p.eventId === 'string' ? new Types.ObjectId(p.eventId) : null,
    kind: (p.kind as SyncKind) ?? 'FULL',
    status,
    active: status === 'QUEUED' || status === 'RUNNING',
    processed: Number(p.processed ?? 0),
    total: p.total === null || p.total === undefined ? null : Number(p.total),
    errorMessages: Array.isArray(p.errors) ? p.errors.map(String) : [],
    checkpoint: typeof p.checkpoint === 'string' ? p.checkpoint : null,
    startedAt: date(p.startedAt),
    finishedAt: date(p.finishedAt),
    createdAt: date(p.createdAt) ?? new Date(0),
    updatedAt: date(p.updatedAt) ?? new Date(0),
  };
}

/** The outbox event for a job's new state. */
export function syncChanged(j: SyncJobDoc): DomainEvent {
  return { topic: syncTopic(j._id.toHexString()), type: syncEventType(j.status), payload: syncJobJson(j) };
}
