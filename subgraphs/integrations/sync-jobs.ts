/**
 * Sync job rules: starting (active connectors only, one queued or running job per connector),
 * cancelling, and progress reports from the sync worker, with bounds checks and completion. Each
 * change and its outbox event are written in one transaction.
 */
import type { ClientSession, Connection } from 'mongoose';
import { appError, badInput, notFound } from '../../platform/errors.js';
import { onlyCreated } from '../kit/db.js';
import { toObjectId } from '../kit/ids.js';
import { mapDbError, requireEnum, requireInt, requireString } from '../kit/input.js';
import { inTransaction, recordEvents } from '../kit/outbox.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { Principal } from '../../platform/principal.js';
import { requireReadIntegrations, requireWriteIntegrations } from './access.js';
import { syncChanged } from './events.js';
import type { IntegrationsLoaders } from './loaders.js';
import { SYNC_KINDS, SYNC_STATUSES, type IntegrationsModels, type SyncJobDoc, type SyncStatus } from './models.js';
import type { ConnectorService } from './service.js';

/** Errors kept per job (the oldest are kept; later ones are counted in the last message). */
const MAX_JOB_ERRORS = 1000;
const MAX_ERRORS_PER_REPORT = 100;

const isOpen = (s: SyncStatus) => s === 'QUEUED' || s === 'RUNNING';

function invalidTransition(from: SyncStatus, to: string): Error {
  return appError('INVALID_STATE_TRANSITION', `A ${from} sync job cannot become ${to}`, { target: 'jobId', extra: { from, to } });
}

function errorList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badInput('errors', 'must be a list of strings');
  if (value.length > MAX_ERRORS_PER_REPORT) throw badInput('errors', `at most ${MAX_ERRORS_PER_REPORT} errors per report`);
  return value.map((e, i) => requireString(e, `errors.${i}`, { max: 1000 }));
}

/** What the sync job service works with. */
export interface SyncJobServiceOptions {
  models: IntegrationsModels;
  /** The integrations database, for transactions and the outbox. */
  conn: Connection;
  /** Looks up the connector a job runs for. */
  connectors: ConnectorService;
}

/** The sync job service. */
export function createSyncJobService({ models: m, conn, connectors }: SyncJobServiceOptions) {
  /** Updates one job conditionally on the state that was read and records its event. */
  async function write(session: ClientSession, current: SyncJobDoc, set: Partial<SyncJobDoc>): Promise<SyncJobDoc> {
    const status = set.status ?? current.status;
    const updated = await m.SyncJob.findOneAndUpdate(
      { _id: current._id, status: current.status, processed: current.processed },
      { $set: { ...set, active: isOpen(status) } },
      { returnDocument: 'after', session, runValidators: true },
    )
      .lean<SyncJobDoc>()
      .exec();
    if (!updated) throw appError('CONFLICT', 'The sync job changed concurrently; retry', { target: 'jobId' });
    await recordEvents(conn, session, [syncChanged(updated)]);
    if (!isOpen(status)) await m.Connector.updateOne({ _id: current.connectorId }, { $set: { lastSyncAt: updated.finishedAt } }, { session }).exec();
    return updated;
  }

  async function load(session: ClientSession, id: unknown, target: string): Promise<SyncJobDoc> {
    const job = await m.SyncJob.findById(toObjectId(id, target)).session(session).lean<SyncJobDoc>().exec();
    if (!job) throw notFound('SyncJob', String(id), target);
    return job;
  }

  return {
    get(p: Principal, job: SyncJobDoc | null): Promise<SyncJobDoc | null> {
      requireReadIntegrations(p);
      return Promise.resolve(job);
    },

    list(p: Principal, args: PageArgs & { status?: unknown; connectorId?: unknown }): Promise<Page<SyncJobDoc>> {
      requireReadIntegrations(p);
      const filter: Record<string, unknown> = {};
      if (args.status !== undefined && args.status !== null) filter.status = requireEnum(args.status, 'status', SYNC_STATUSES);
      if (args.connectorId !== undefined && args.connectorId !== null) filter.connectorId = toObjectId(args.connectorId, 'connectorId');
      return paginate(m.SyncJob, { filter, page: args });
    },

    /** An event's sync jobs (Event.syncJobs): one query for the events of a whole list. */
    forEvent(p: Principal, loaders: IntegrationsLoaders, eventId: unknown, args: PageArgs): Promise<Page<SyncJobDoc>> {
      requireReadIntegrations(p);
      return loaders.syncJobsByEvent.load({ parentId: toObjectId(eventId, 'id').toHexString(), first: args.first, after: args.after });
    },

    async start(p: Principal, connectorId: unknown, kind: unknown): Promise<SyncJobDoc> {
      requireWriteIntegrations(p);
      const jobKind = kind === undefined || kind === null ? 'FULL' : requireEnum(kind, 'kind', SYNC_KINDS);
      const c = await connectors.existing(connectorId, 'connectorId');
      if (c.status !== 'ACTIVE') throw appError('INVALID_STATE_TRANSITION', `A ${c.status} connector cannot sync; resume it first`, { target: 'connectorId' });
      const busy = () => appError('CONFLICT', 'The connector already has a queued or running sync job', { target: 'connectorId' });
      try {
        return await inTransaction(conn, async (session) => {
          if (await m.SyncJob.exists({ connectorId: c._id, active: true }).session(session)) throw busy();
          const doc = onlyCreated(await m.SyncJob.create([{ connectorId: c._id, eventId: c.eventId, kind: jobKind, status: 'QUEUED', active: true }], { session }));
          const job = doc.toObject() as SyncJobDoc;
          await recordEvents(conn, session, [syncChanged(job)]);
          return job;
        });
      } catch (err) {
        const mapped = mapDbError(err);
        throw (mapped as { extensions?: { code?: string } }).extensions?.code === 'CONFLICT' ? busy() : mapped;
      }
    },

    cancel(p: Principal, id: unknown): Promise<SyncJobDoc> {
      requireWriteIntegrations(p);
      const _id = toObjectId(id, 'id');
      return inTransaction(conn, async (session) => {
        const job = await load(session, _id.toHexString(), 'id');
        if (!isOpen(job.status)) throw invalidTransition(job.status, 'CANCELLED');
        return write(session, job, { status: 'CANCELLED', finishedAt: new Date() });
      });
    },

    report(p: Principal, args: { jobId: unknown; processed: unknown; total?: unknown; errors?: unknown; checkpoint?: unknown; outcome?: unknown }): Promise<SyncJobDoc> {
      requireWriteIntegrations(p);
      const _id = toObjectId(args.jobId, 'jobId');
      const processed = requireInt(args.processed, 'processed', { min: 0 });
      const total = args.total === undefined || args.total === null ? undefined : requireInt(args.total, 'total', { min: 0 });
      const errors = errorList(args.errors);
      const checkpoint = args.checkpoint === undefined || args.checkpoint === null ? undefined : requireString(args.checkpoint, 'checkpoint', { max: 2000 });
      const outcome = args.outcome === undefined || args.outcome === null ? undefined : requireEnum(args.outcome, 'outcome', ['SUCCEEDED', 'FAILED'] as const);
      return inTransaction(conn, async (session) => {
        const job = await load(session, _id.toHexString(), 'jobId');
        if (!isOpen(job.status)) throw invalidTransition(job.status, outcome ?? 'RUNNING');
        const newTotal = total ?? job.total;
        if (newTotal !== null && processed > newTotal) throw badInput('processed', `must not exceed total (${newTotal})`);
        if (processed < job.processed) throw badInput('processed', `must not go backwards (was ${job.processed})`);
        const allErrors = [...job.errorMessages, ...errors];
        const kept = allErrors.length > MAX_JOB_ERRORS ? [...allErrors.slice(0, MAX_JOB_ERRORS - 1), `${allErrors.length - MAX_JOB_ERRORS + 1} more errors`] : allErrors;
        const finished = outcome ?? (newTotal !== null && processed === newTotal ? (kept.length ? 'FAILED' : 'SUCCEEDED') : undefined);
        const now = new Date();
        return write(session, job, {
          status: finished ?? 'RUNNING',
          processed,
          total: newTotal,
          errorMessages: kept,
          ...(checkpoint !== undefined ? { checkpoint } : {}),
          startedAt: job.startedAt ?? now,
          ...(finished ? { finishedAt: now } : {}),
        });
      });
    },
  };
}

/** Sync jobs: lookups, lists, start, cancel, progress reports. */
export type SyncJobService = ReturnType<typeof createSyncJobService>;
