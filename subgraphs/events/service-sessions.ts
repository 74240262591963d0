/**
 * Session operations: lookups through the event's visibility, schedule changes, speakers (checked
 * at the people subgraph before the write).
 */
import type { ClientSession, Types } from 'mongoose';
import { notFound } from '../../platform/errors.js';
import { onlyCreated } from '../kit/db.js';
import { toObjectId } from '../kit/ids.js';
import { canSeeEvent, invalidTransition, requireManageEvent } from './access.js';
import { sessionEvent, type SessionEventType } from './events.js';
import { MAX_SPEAKERS, checkCreateSession, checkIdList, checkReason, checkUpdateSession, checkWithinEvent, type CreateSessionInput, type UpdateSessionInput } from './input.js';
import { refreshSession, type EventsContext } from './loaders.js';
import type { EventDoc, SessionDoc } from './models.js';
import { write, type EventsServiceOptions } from './service-base.js';

/** Session lookups and schedule changes. */
export function sessionOps(d: EventsServiceOptions) {
  const { Event, Session } = d.models;

  /** Loads the event a write is about, inside the transaction; invisible drafts are not found. */
  async function eventForWrite(ctx: EventsContext, session: ClientSession, eventId: Types.ObjectId, target: string): Promise<EventDoc> {
    const ev = await Event.findById(eventId).session(session).lean<EventDoc>().exec();
    if (!ev || !canSeeEvent(ctx.principal, ev)) throw notFound('Event', eventId.toHexString(), target);
    requireManageEvent(ctx.principal, ev);
    if (ev.status === 'CANCELLED') throw invalidTransition('The sessions of a cancelled event cannot be changed', target);
    return ev;
  }

  /**
   * Checks, before a write, that the caller may change the event's schedule (so the people lookup
   * that follows tells nothing to others) and that every speaker exists and was not erased.
   */
  async function requireSpeakers(ctx: EventsContext, eventId: string, raw: readonly string[], prefix: string): Promise<void> {
    if (raw.length === 0) return;
    const ev = await ctx.loaders.event.load(eventId);
    if (ev && canSeeEvent(ctx.principal, ev)) requireManageEvent(ctx.principal, ev);
    await d.refs.requireUsers(ctx, raw.map((id, i) => ({ id, target: `${prefix}.${i}` })));
  }

  /** Loads a scheduled session and its event for a change, checks the caller, applies `change`. */
  async function changeSession(
    ctx: EventsContext,
    id: string,
    target: string,
    change: (current: SessionDoc, ev: EventDoc) => Record<string, unknown> | null,
    type: SessionEventType,
  ): Promise<SessionDoc> {
    const sessionId = toObjectId(id, target);
    const s = await write(d, async (session) => {
      const current = await Session.findById(sessionId).session(session).lean<SessionDoc>().exec();
      if (!current) throw notFound('Session', id, target);
      const ev = await eventForWrite(ctx, session, current.eventId, target);
      if (current.status === 'CANCELLED') throw invalidTransition('A cancelled session cannot be changed', target);
      const set = change(current, ev);
      if (!set) return { value: current, events: [] };
      const updated = await Session.findOneAndUpdate({ _id: sessionId, status: 'SCHEDULED' }, { $set: set }, { returnDocument: 'after', session, runValidators: true }).lean<SessionDoc>().exec();
      if (!updated) throw invalidTransition('The session was cancelled meanwhile', target);
      return { value: updated, events: [sessionEvent(type, updated)] };
    });
    refreshSession(ctx.loaders, s);
    return s;
  }

  return {
    /** A session by id; null when missing or when its event is a draft the caller may not see. */
    async session(ctx: EventsContext, id: string): Promise<SessionDoc | null> {
      const s = await ctx.loaders.session.load(toObjectId(id, 'id').toHexString());
      if (!s) return null;
      const ev = await ctx.loaders.event.load(String(s.eventId));
      return ev && canSeeEvent(ctx.principal, ev) ? s : null;
    },

    /** Adds a session to an event's schedule; it must lie within the event. */
    async createSession(ctx: EventsContext, input: CreateSessionInput): Promise<SessionDoc> {
      const eventId = toObjectId(input.eventId, 'input.eventId');
      const fields = checkCreateSession(input);
      await requireSpeakers(ctx, eventId.toHexString(), input.speakerIds ?? [], 'input.speakerIds');
      const s = await write(d, async (session) => {
        const ev = await eventForWrite(ctx, session, eventId, 'input.eventId');
        checkWithinEvent(fields.startsAt, fields.endsAt, ev);
        const doc = onlyCreated(await Session.create([{ ...fields, eventId, status: 'SCHEDULED' }], { session }));
        const created = doc.toObject() as SessionDoc;
        return { value: created, events: [sessionEvent('session.created', created)] };
      });
      refreshSession(ctx.loaders, s);
      return s;
    },

    /** Changes a session's details. */
    updateSession(ctx: EventsContext, id: string, input: UpdateSessionInput): Promise<SessionDoc> {
      const set = checkUpdateSession(input);
      return changeSession(
        ctx,
        id,
        'id',
        (current, ev) => {
          if (Object.keys(set).length === 0) return null;
          checkWithinEvent((set.startsAt as Date) ?? current.startsAt, (set.endsAt as Date) ?? current.endsAt, ev);
          return set;
        },
        'session.updated',
      );
    },

    /** SCHEDULED → CANCELLED with a reason. */
    cancelSession(ctx: EventsContext, id: string, reason: string): Promise<SessionDoc> {
      const why = checkReason(reason);
      return changeSession(ctx, id, 'id', () => ({ status: 'CANCELLED', cancellationReason: why }), 'session.cancelled');
    },

    /** Replaces a session's speakers (user ids; duplicates are dropped). */
    async assignSpeakers(ctx: EventsContext, sessionId: string, speakerIds: string[]): Promise<SessionDoc> {
      const ids = checkIdList(speakerIds, 'speakerIds', MAX_SPEAKERS);
      const current = await ctx.loaders.session.load(toObjectId(sessionId, 'sessionId').toHexString());
      if (current) await requireSpeakers(ctx, String(current.eventId), speakerIds, 'speakerIds');
      return changeSession(ctx, sessionId, 'sessionId', () => ({ speakerIds: ids }), 'session.updated');
    },
  };
}
