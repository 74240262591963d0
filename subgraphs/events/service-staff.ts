/**
 * Check-in staff: users an event's organizer assigns to check attendees in at that event and to
 * watch its check-ins, and nothing else. Assigned users are checked at the people subgraph first.
 */
import { Types } from 'mongoose';
import { badInput, notFound } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import { canSeeEvent, invalidTransition, requireManageEvent, requireSeeCheckInStaff } from './access.js';
import { refreshEvent, type EventsContext } from './loaders.js';
import { MAX_CHECK_IN_STAFF, type EventDoc } from './models.js';
import { write, type EventsServiceOptions } from './service-base.js';

/** Assigning, removing and listing check-in staff. */
export function staffOps(d: EventsServiceOptions) {
  const { Event } = d.models;

  /** Loads an event the caller manages (outside a transaction); invisible drafts are not found. */
  async function managed(ctx: EventsContext, eventId: Types.ObjectId): Promise<EventDoc> {
    const ev = await ctx.loaders.event.load(eventId.toHexString());
    if (!ev || !canSeeEvent(ctx.principal, ev)) throw notFound('Event', eventId.toHexString(), 'eventId');
    requireManageEvent(ctx.principal, ev);
    return ev;
  }

  /** Applies `update` to the event in a transaction, after the same checks on the current document. */
  async function change(ctx: EventsContext, eventId: Types.ObjectId, plan: (current: EventDoc) => Record<string, unknown> | null): Promise<EventDoc> {
    const ev = await write(d, async (session) => {
      const current = await Event.findById(eventId).session(session).lean<EventDoc>().exec();
      if (!current || !canSeeEvent(ctx.principal, current)) throw notFound('Event', eventId.toHexString(), 'eventId');
      requireManageEvent(ctx.principal, current);
      const update = plan(current);
      if (!update) return { value: current, events: [] };
      const updated = await Event.findOneAndUpdate({ _id: eventId }, update, { returnDocument: 'after', session }).lean<EventDoc>().exec();
      if (!updated) throw notFound('Event', eventId.toHexString(), 'eventId');
      // Staff is the organizer's setup, not part of the published event: no domain event.
      return { value: updated, events: [] };
    }, '');
    refreshEvent(ctx.loaders, ev);
    return ev;
  }

  const has = (ev: EventDoc, userId: Types.ObjectId) => (ev.checkInStaffIds ?? []).some((id) => String(id) === userId.toHexString());

  return {
    /** The event's check-in staff (its organizer and admins only), read fresh (events delivered live carry none). */
    async checkInStaff(ctx: EventsContext, ev: EventDoc): Promise<Array<{ __typename: 'User'; id: string }>> {
      requireSeeCheckInStaff(ctx.principal, ev);
      const current = await ctx.loaders.event.load(String(ev._id));
      return (current?.checkInStaffIds ?? []).map((id) => ({ __typename: 'User', id: String(id) }));
    },

    /** Adds a user to the event's check-in staff; adding someone already there changes nothing. */
    async assignCheckInStaff(ctx: EventsContext, eventId: string, userId: string): Promise<EventDoc> {
      const eventOid = toObjectId(eventId, 'eventId');
      const userOid = toObjectId(userId, 'userId');
      const ev = await managed(ctx, eventOid);
      if (ev.status === 'CANCELLED') throw invalidTransition('A cancelled event gets no check-in staff', 'eventId');
      if (!has(ev, userOid)) await d.refs.requireUsers(ctx, [{ id: userOid.toHexString(), target: 'userId' }]);
      return change(ctx, eventOid, (current) => {
        if (has(current, userOid)) return null;
        if (current.status === 'CANCELLED') throw invalidTransition('A cancelled event gets no check-in staff', 'eventId');
        if ((current.checkInStaffIds ?? []).length >= MAX_CHECK_IN_STAFF) throw badInput('userId', `an event has at most ${MAX_CHECK_IN_STAFF} check-in staff`);
        return { $addToSet: { checkInStaffIds: userOid } };
      });
    },

    /** Removes a user from the event's check-in staff; removing someone not there changes nothing. */
    async removeCheckInStaff(ctx: EventsContext, eventId: string, userId: string): Promise<EventDoc> {
      const eventOid = toObjectId(eventId, 'eventId');
      const userOid = toObjectId(userId, 'userId');
      await managed(ctx, eventOid);
      return change(ctx, eventOid, (current) => (has(current, userOid) ? { $pull: { checkInStaffIds: userOid } } : null));
    },
  };
}
