/** Event operations: lookups with draft visibility, the filtered list, and the event lifecycle. */
import { Types, type ClientSession, type QueryFilter } from 'mongoose';
import { badInput, notFound } from '../../platform/errors.js';
import { onlyCreated } from '../kit/db.js';
import { toObjectId } from '../kit/ids.js';
import { escapeRegex } from '../kit/input.js';
import { decodeCursor, paginate, type PageArgs } from '../kit/pagination.js';
import { checkText } from '../kit/validation.js';
import { actorId, canSeeEvent, invalidTransition, requireAddSubEvent, requireCreateEvents, requireManageEvent, requireOrganizeFor, visibleEventsFilter } from './access.js';
import { eventEvent, registrationEvent, type EventEventType } from './events.js';
import { checkCreateEvent, checkReason, checkUpdateEvent, type CreateEventInput, type UpdateEventInput } from './input.js';
import { primeAll, refreshEvent, type EventsContext } from './loaders.js';
import type { EventDoc, EventStatus } from './models.js';
import { heldSpots, promoteWaitlisted } from './service-registrations.js';
import { write, type EventsServiceOptions } from './service-base.js';

/** Orders of the `events` list. */
export type EventOrder = 'START_TIME_ASC' | 'START_TIME_DESC' | 'CREATED_AT_DESC';

const ORDERS: Record<EventOrder, { sortField: string; direction: 1 | -1 }> = {
  START_TIME_ASC: { sortField: 'startsAt', direction: 1 },
  START_TIME_DESC: { sortField: 'startsAt', direction: -1 },
  CREATED_AT_DESC: { sortField: 'createdAt', direction: -1 },
};

/** The `events` list filter as the resolvers receive it. */
export interface EventFilter {
  search?: string | null;
  startsAfter?: Date | null;
  startsBefore?: Date | null;
  organizerId?: string | null;
  parentId?: string | null;
}

/** Arguments of the `events` list. */
export interface EventsArgs extends PageArgs {
  status?: EventStatus | null;
  filter?: EventFilter | null;
  orderBy?: EventOrder | null;
}

/** Builds the list filter from typed arguments only (no raw input reaches the query). */
function listFilter(ctx: EventsContext, args: EventsArgs): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  const f = args.filter ?? {};
  if (args.status) and.push({ status: args.status });
  if (typeof f.search === 'string') {
    const search = checkText(f.search, 'filter.search', { max: 200 });
    if (search) and.push({ title: { $regex: escapeRegex(search), $options: 'i' } });
  }
  if (f.startsAfter) and.push({ startsAt: { $gte: f.startsAfter } });
  if (f.startsBefore) and.push({ startsAt: { $lt: f.startsBefore } });
  if (f.organizerId) and.push({ organizerId: toObjectId(f.organizerId, 'filter.organizerId') });
  if (f.parentId) and.push({ parentId: toObjectId(f.parentId, 'filter.parentId') });
  const visible = visibleEventsFilter(ctx.principal);
  if (visible) and.push(visible);
  return and.length > 1 ? { $and: and } : (and[0] ?? {});
}

/** Event lookups and lifecycle. */
export function eventOps(d: EventsServiceOptions) {
  const { Event } = d.models;

  /** Loads an event for a write inside the transaction; invisible drafts are not found. */
  async function loadForWrite(ctx: EventsContext, session: ClientSession, id: string): Promise<EventDoc> {
    const current = await Event.findById(toObjectId(id, 'id')).session(session).lean<EventDoc>().exec();
    if (!current || !canSeeEvent(ctx.principal, current)) throw notFound('Event', id);
    requireManageEvent(ctx.principal, current);
    return current;
  }

  /** Moves an event from `from` to a new status, recording `type`. */
  async function transition(ctx: EventsContext, id: string, from: EventStatus, set: Partial<EventDoc>, type: EventEventType, verb: string): Promise<EventDoc> {
    const ev = await write(d, async (session) => {
      const current = await loadForWrite(ctx, session, id);
      if (current.status !== from) throw invalidTransition(`Only ${from.toLowerCase()} events can be ${verb} (this event is ${current.status})`, 'id');
      const updated = await Event.findOneAndUpdate({ _id: current._id, status: from }, { $set: set }, { returnDocument: 'after', session }).lean<EventDoc>().exec();
      if (!updated) throw invalidTransition(`The event changed status while being ${verb}`, 'id');
      return { value: updated, events: [eventEvent(type, updated)] };
    });
    refreshEvent(ctx.loaders, ev);
    return ev;
  }

  return {
    /** An event by id; null when missing or a draft the caller may not see. */
    async event(ctx: EventsContext, id: string): Promise<EventDoc | null> {
      const ev = await ctx.loaders.event.load(toObjectId(id, 'id').toHexString());
      return ev && canSeeEvent(ctx.principal, ev) ? ev : null;
    },

    /** The filtered, ordered list of visible events as a Relay connection. */
    async events(ctx: EventsContext, args: EventsArgs) {
      const order = ORDERS[args.orderBy ?? 'START_TIME_ASC'];
      if (!order) throw badInput('orderBy', 'unknown order');
      if (args.after) {
        const { value } = decodeCursor(args.after);
        if (!(value instanceof Date)) throw badInput('after', 'The cursor is not valid for this list');
      }
      const filter = listFilter(ctx, args) as QueryFilter<EventDoc>;
      const page = await paginate(Event, { filter, sortField: order.sortField, direction: order.direction, page: { first: args.first, after: args.after } });
      primeAll(ctx.loaders.event, page.edges.map((e) => e.node));
      return page;
    },

    /** Creates a DRAFT event organized by the caller (admins may name another organizer). */
    async createEvent(ctx: EventsContext, input: CreateEventInput): Promise<EventDoc> {
      const p = ctx.principal;
      requireCreateEvents(p);
      const fields = checkCreateEvent(input);
      let organizerId: Types.ObjectId;
      if (input.organizerId) {
        organizerId = toObjectId(input.organizerId, 'input.organizerId');
        requireOrganizeFor(p, organizerId.toHexString());
      } else {
        const me = actorId(p);
        if (!me) throw badInput('input.organizerId', 'an organizer is required when the caller is not a user');
        organizerId = new Types.ObjectId(me);
      }
      let parentId: Types.ObjectId | null = null;
      if (input.parentId) {
        parentId = toObjectId(input.parentId, 'input.parentId');
        const parent = await ctx.loaders.event.load(parentId.toHexString());
        if (!parent || !canSeeEvent(p, parent)) throw notFound('Event', input.parentId, 'input.parentId');
        requireAddSubEvent(p, parent);
        if (parent.parentId) throw badInput('input.parentId', 'a sub-event cannot be the parent of a series');
        if (parent.status === 'CANCELLED') throw invalidTransition('A cancelled series cannot get new sub-events', 'input.parentId');
      }
      if (input.organizerId && organizerId.toHexString() !== actorId(p)) await d.refs.requireUsers(ctx, [{ id: organizerId.toHexString(), target: 'input.organizerId' }]);
      if (fields.organizationId) await d.refs.requireOrganization(ctx, fields.organizationId.toHexString(), 'input.organizationId');
      const ev = await write(d, async (session) => {
        const doc = onlyCreated(await Event.create([{ ...fields, organizerId, parentId, status: 'DRAFT' }], { session }));
        const created = doc.toObject() as EventDoc;
        return { value: created, events: [eventEvent('event.created', created)] };
      });
      refreshEvent(ctx.loaders, ev);
      return ev;
    },

    /** Changes an event's details; raising the capacity promotes waitlisted registrations. */
    async updateEvent(ctx: EventsContext, id: string, input: UpdateEventInput): Promise<EventDoc> {
      if (input.organizationId) {
        const organizationId = toObjectId(input.organizationId, 'input.organizationId').toHexString();
        const current = await ctx.loaders.event.load(toObjectId(id, 'id').toHexString());
        if (current && canSeeEvent(ctx.principal, current)) requireManageEvent(ctx.principal, current);
        await d.refs.requireOrganization(ctx, organizationId, 'input.organizationId');
      }
      const ev = await write(d, async (session) => {
        const current = await loadForWrite(ctx, session, id);
        if (current.status === 'CANCELLED') throw invalidTransition('A cancelled event cannot be changed', 'id');
        const set = checkUpdateEvent(input, current);
        if (Object.keys(set).length === 0) return { value: current, events: [] };
        const capacityChanged = 'capacity' in set && set.capacity !== current.capacity;
        if (capacityChanged && set.capacity !== null) {
          const held = await heldSpots(d, session, current._id);
          if (held > (set.capacity as number)) throw badInput('input.capacity', `${held} spots are already held; the capacity cannot be lower`);
        }
        const update = capacityChanged ? { $set: set, $inc: { registrationSeq: 1 } } : { $set: set };
        const updated = await Event.findOneAndUpdate({ _id: current._id }, update, { returnDocument: 'after', session, runValidators: true }).lean<EventDoc>().exec();
        if (!updated) throw notFound('Event', id);
        const promoted = capacityChanged ? await promoteWaitlisted(d, session, updated) : [];
        return { value: updated, events: [eventEvent('event.updated', updated), ...promoted.map((r) => registrationEvent('registration.promoted', r))] };
      });
      refreshEvent(ctx.loaders, ev);
      return ev;
    },

    /** DRAFT → PUBLISHED. */
    publishEvent(ctx: EventsContext, id: string): Promise<EventDoc> {
      return transition(ctx, id, 'DRAFT', { status: 'PUBLISHED', publishedAt: new Date() }, 'event.published', 'published');
    },

    /** PUBLISHED → CANCELLED with a reason. */
    cancelEvent(ctx: EventsContext, id: string, reason: string): Promise<EventDoc> {
      const why = checkReason(reason);
      return transition(ctx, id, 'PUBLISHED', { status: 'CANCELLED', cancelledAt: new Date(), cancellationReason: why }, 'event.cancelled', 'cancelled');
    },
  };
}
