/** Connector rules: kind-specific settings, lifecycle (ACTIVE ⇄ PAUSED, ERROR), deletion, listing. */
import type { Types } from 'mongoose';
import { appError, notFound } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import { requireEnum, requireString, withDbErrors } from '../kit/input.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { Principal } from '../../platform/principal.js';
import { requireReadIntegrations, requireWriteIntegrations } from './access.js';
import { restoreRedacted, validateConfig, validateMapping } from './connector-config.js';
import { CONNECTOR_KINDS, type ConnectorDoc, type ConnectorStatus, type IntegrationsModels } from './models.js';

const optionalId = (v: unknown, target: string): Types.ObjectId | null => (v === undefined || v === null ? null : toObjectId(v, target));

/** What the connector service works with. */
export interface ConnectorServiceOptions {
  models: IntegrationsModels;
}

/** The connector service over the integrations models. */
export function createConnectorService({ models: m }: ConnectorServiceOptions) {
  async function existing(id: unknown, target = 'id'): Promise<ConnectorDoc> {
    const connector = await m.Connector.findById(toObjectId(id, target)).lean<ConnectorDoc>().exec();
    if (!connector) throw notFound('Connector', String(id), target);
    return connector;
  }

  async function setStatus(p: Principal, id: unknown, from: ConnectorStatus[], to: ConnectorStatus): Promise<ConnectorDoc> {
    requireWriteIntegrations(p);
    const c = await existing(id);
    if (!from.includes(c.status)) throw appError('INVALID_STATE_TRANSITION', `A ${c.status} connector cannot become ${to}`, { target: 'id', extra: { from: c.status, to } });
    const updated = await m.Connector.findOneAndUpdate({ _id: c._id, status: c.status }, { $set: { status: to } }, { returnDocument: 'after' }).lean<ConnectorDoc>().exec();
    if (!updated) throw appError('CONFLICT', 'The connector changed concurrently; retry', { target: 'id' });
    return updated;
  }

  return {
    existing,

    get(p: Principal, connector: ConnectorDoc | null): Promise<ConnectorDoc | null> {
      requireReadIntegrations(p);
      return Promise.resolve(connector);
    },

    list(p: Principal, args: PageArgs & { kind?: unknown }): Promise<Page<ConnectorDoc>> {
      requireReadIntegrations(p);
      const filter = args.kind === undefined || args.kind === null ? {} : { kind: requireEnum(args.kind, 'kind', CONNECTOR_KINDS) };
      return paginate(m.Connector, { filter, page: args });
    },

    async create(p: Principal, input: Record<string, unknown>): Promise<ConnectorDoc> {
      requireWriteIntegrations(p);
      const kind = requireEnum(input.kind, 'input.kind', CONNECTOR_KINDS);
      const name = requireString(input.name, 'input.name', { max: 200 });
      const config = validateConfig(kind, input.config);
      const mapping = validateMapping(kind, input.mapping);
      const eventId = optionalId(input.eventId, 'input.eventId');
      const sessionId = optionalId(input.sessionId, 'input.sessionId');
      const doc = await withDbErrors(() => m.Connector.create({ kind, name, status: 'ACTIVE', config, mapping, eventId, sessionId }));
      return doc.toObject();
    },

    async update(p: Principal, id: unknown, input: Record<string, unknown>): Promise<ConnectorDoc> {
      requireWriteIntegrations(p);
      const c = await existing(id);
      const set: Record<string, unknown> = {};
      if (input.name !== undefined && input.name !== null) set.name = requireString(input.name, 'input.name', { max: 200 });
      if (input.config !== undefined && input.config !== null) set.config = validateConfig(c.kind, restoreRedacted(input.config, c.config));
      if (input.mapping !== undefined) set.mapping = validateMapping(c.kind, input.mapping);
      if (input.eventId !== undefined) set.eventId = optionalId(input.eventId, 'input.eventId');
      if (Object.keys(set).length === 0) return c;
      const updated = await withDbErrors(() => m.Connector.findByIdAndUpdate(c._id, { $set: set }, { returnDocument: 'after', runValidators: true }).lean<ConnectorDoc>().exec());
      if (!updated) throw notFound('Connector', String(id));
      return updated;
    },

    pause: (p: Principal, id: unknown) => setStatus(p, id, ['ACTIVE', 'ERROR'], 'PAUSED'),
    resume: (p: Principal, id: unknown) => setStatus(p, id, ['PAUSED', 'ERROR'], 'ACTIVE'),

    async remove(p: Principal, id: unknown): Promise<string> {
      requireWriteIntegrations(p);
      const c = await existing(id);
      if (await m.SyncJob.exists({ connectorId: c._id, active: true })) {
        throw appError('CONFLICT', 'The connector has a queued or running sync job; cancel it first', { target: 'id' });
      }
      await m.Connector.deleteOne({ _id: c._id }).exec();
      return c._id.toHexString();
    },
  };
}

/** Connectors: lookups, lists, creation, changes, pause and resume, deletion. */
export type ConnectorService = ReturnType<typeof createConnectorService>;
