/**
 * Registration operations: registering (with a waitlist once the event is full), batch
 * registration, confirmation, cancellation (which hands the freed spot to the waitlist), and the
 * registration lists with their object-level rules.
 */
import { randomBytes } from 'node:crypto';
import { Types, type ClientSession } from 'mongoose';
import { isInternal, isSelf, requireAllowed, requireAuthenticated, requireScope } from '../kit/authz.js';
import { appError, badInput, notFound } from '../kit/errors.js';
import { toObjectId } from '../kit/ids.js';
import type { PageArgs } from '../kit/pagination.js';
import { hasScope } from '../kit/principal.js';
import { isDuplicateKeyError } from '../kit/validation.js';
import { canManageEvent, canSeeEvent, canSeeRegistration, canWriteRegistrations, invalidTransition, requireReadRegistrations, userIdOf } from './access.js';
import { registrationEvent } from './events.js';
import { checkBatch, optionalReason } from './input.js';
import { primeAll, refreshRegistration, type EventsContext } from './loaders.js';
import type { EventDoc, RegistrationDoc, RegistrationStatus } from './models.js';
import { itemError, write, type ItemError, type ServiceDeps } from './service-base.js';

/** Statuses that hold a spot (unless waitlisted). */
export const HOLDING: RegistrationStatus[] = ['PENDING', 'CONFIRMED'];

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Shape of a ticket code. */
export const TICKET_CODE_RE = /^TCK-[A-Z2-7]{16}$/;

/** A fresh, unguessable ticket code: `TCK-` + 80 random bits in base32 (16 characters). */
export function newTicketCode(): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of randomBytes(10)) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `TCK-${out}`;
}

/** Spots currently held at an event, read inside the transaction. */
export function heldSpots(d: ServiceDeps, session: ClientSession, eventId: Types.ObjectId): Promise<number> {
  return d.models.Registration.countDocuments({ eventId, status: { $in: HOLDING }, waitlisted: false }).session(session).exec();
}

/** Gives free spots to the first waitlisted registrations (in waitlist order); answers the promoted ones. */
export async function promoteWaitlisted(d: ServiceDeps, session: ClientSession, ev: EventDoc): Promise<RegistrationDoc[]> {
  if (ev.status !== 'PUBLISHED') return [];
  const free = ev.capacity === null ? Number.POSITIVE_INFINITY : ev.capacity - (await heldSpots(d, session, ev._id));
  if (free <= 0) return [];
  const query = d.models.Registration.find({ eventId: ev._id, status: 'PENDING', waitlisted: true }).sort({ queueSeq: 1, _id: 1 }).session(session);
  if (Number.isFinite(free)) query.limit(free);
  const next = await query.lean<RegistrationDoc[]>().exec();
  if (next.length === 0) return [];
  const now = new Date();
  await d.models.Registration.updateMany({ _id: { $in: next.map((r) => r._id) }, waitlisted: true }, { $set: { waitlisted: false } }, { session }).exec();
  return next.map((r) => ({ ...r, waitlisted: false, updatedAt: now }));
}

export interface RegisterInput {
  eventId: string;
  attendeeId?: string | null;
}

export interface RegistrationBatchResult {
  index: number;
  registration: RegistrationDoc | null;
  error: ItemError | null;
}

/** Registration lookups, lists and lifecycle. */
export function registrationOps(d: ServiceDeps) {
  const { Event, Registration } = d.models;

  /** Locks the event for a change of who holds a spot (concurrent changes conflict and retry). */
  function lockEvent(session: ClientSession, eventId: Types.ObjectId) {
    return Event.findOneAndUpdate({ _id: eventId }, { $inc: { registrationSeq: 1 } }, { returnDocument: 'after', session, timestamps: false }).lean<EventDoc>().exec();
  }

  /** Registers one attendee; `targets` name the input paths errors point at. */
  async function registerOne(ctx: EventsContext, eventId: Types.ObjectId, attendeeRaw: string | null | undefined, targets: { event: string; attendee: string }): Promise<RegistrationDoc> {
    const p = ctx.principal;
    requireAuthenticated(p);
    const me = userIdOf(p);
    let attendeeId: Types.ObjectId;
    if (attendeeRaw !== undefined && attendeeRaw !== null) attendeeId = toObjectId(attendeeRaw, targets.attendee);
    else if (me) attendeeId = new Types.ObjectId(me);
    else throw badInput(targets.attendee, 'an attendee is required when the caller is not a user');
    const forSelf = me === attendeeId.toHexString();
    const conflict = () => appError('CONFLICT', 'The attendee is already registered for this event', { details: `User '${attendeeId.toHexString()}' already holds a registration for this event`, target: targets.attendee });
    try {
      const reg = await write(d, async (session) => {
        const ev = await lockEvent(session, eventId);
        if (!ev || !canSeeEvent(p, ev)) throw notFound('Event', eventId.toHexString(), targets.event);
        if (!forSelf && !canWriteRegistrations(p, ev)) {
          throw appError('FORBIDDEN', undefined, { details: 'Only the organizer, holders of registrations:write and admins can register other attendees', target: targets.attendee });
        }
        if (ev.status !== 'PUBLISHED') throw invalidTransition(`Registration is open only for published events (this event is ${ev.status})`, targets.event);
        if (ev.endsAt.getTime() < Date.now()) throw invalidTransition('The event has already ended', targets.event);
        const activeKey = `${eventId.toHexString()}:${attendeeId.toHexString()}`;
        if (await Registration.exists({ activeKey }).session(session).exec()) throw conflict();
        const waitlisted = ev.capacity !== null && (await heldSpots(d, session, eventId)) >= ev.capacity;
        const [doc] = await Registration.create(
          [{ eventId, attendeeId, status: 'PENDING', ticketCode: newTicketCode(), waitlisted, queueSeq: ev.registrationSeq, activeKey }],
          { session },
        );
        const created = doc.toObject() as RegistrationDoc;
        return { value: created, events: [registrationEvent('registration.created', created)] };
      });
      refreshRegistration(ctx.loaders, reg);
      return reg;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw conflict();
      throw err;
    }
  }

  return {
    /** A registration by id; null when missing or not visible to the caller. */
    async registration(ctx: EventsContext, id: string): Promise<RegistrationDoc | null> {
      requireAuthenticated(ctx.principal);
      const reg = await ctx.loaders.registration.load(toObjectId(id, 'id').toHexString());
      if (!reg) return null;
      const ev = await ctx.loaders.event.load(String(reg.eventId));
      return ev && canSeeRegistration(ctx.principal, reg, ev) ? reg : null;
    },

    /** An event's registrations (organizer, registrations:read, admins), batched across the events of a list. */
    async eventRegistrations(ctx: EventsContext, ev: EventDoc, args: PageArgs & { status?: RegistrationStatus | null }) {
      requireReadRegistrations(ctx.principal, ev);
      const page = await ctx.loaders.registrationsByEvent.load({ parentId: String(ev._id), first: args.first, after: args.after, args: { status: args.status ?? null } });
      primeAll(ctx.loaders.registration, page.edges.map((e) => e.node));
      return page;
    },

    /** A user's registrations (the user, registrations:read, admins), batched across the users of a list. */
    async userRegistrations(ctx: EventsContext, userId: string, args: PageArgs) {
      const p = ctx.principal;
      requireAllowed(p, isSelf(p, userId) || hasScope(p, 'registrations:read') || isInternal(p), "Only the user, holders of the 'registrations:read' scope and admins can list a user's registrations");
      const page = await ctx.loaders.registrationsByUser.load({ parentId: toObjectId(userId).toHexString(), first: args.first, after: args.after });
      primeAll(ctx.loaders.registration, page.edges.map((e) => e.node));
      return page;
    },

    /** 1-based waitlist position of a waitlisted registration; null otherwise. */
    async waitlistPosition(ctx: EventsContext, reg: Pick<RegistrationDoc, '_id' | 'eventId' | 'status' | 'waitlisted'>): Promise<number | null> {
      if (reg.status !== 'PENDING' || !reg.waitlisted) return null;
      const line = await ctx.loaders.waitlistByEvent.load(String(reg.eventId));
      const index = line.findIndex((id) => String(id) === String(reg._id));
      return index >= 0 ? index + 1 : null;
    },

    /** Registers the caller, or another attendee for organizers, admins and registrations:write. */
    register(ctx: EventsContext, input: RegisterInput): Promise<RegistrationDoc> {
      return registerOne(ctx, toObjectId(input.eventId, 'input.eventId'), input.attendeeId, { event: 'input.eventId', attendee: 'input.attendeeId' });
    },

    /** Registers up to 100 attendees; each item succeeds or fails on its own. */
    async registerBatch(ctx: EventsContext, eventId: string, attendeeIds: string[]): Promise<RegistrationBatchResult[]> {
      requireAuthenticated(ctx.principal);
      const eventOid = toObjectId(eventId, 'eventId');
      checkBatch(attendeeIds, 'attendeeIds');
      const results: RegistrationBatchResult[] = [];
      for (const [index, attendeeId] of attendeeIds.entries()) {
        try {
          const registration = await registerOne(ctx, eventOid, attendeeId, { event: 'eventId', attendee: `attendeeIds.${index}` });
          results.push({ index, registration, error: null });
        } catch (err) {
          results.push({ index, registration: null, error: itemError(err, ctx.logger) });
        }
      }
      return results;
    },

    /** PENDING (holding a spot) → CONFIRMED; confirming a confirmed registration changes nothing. */
    async confirmRegistration(ctx: EventsContext, id: string): Promise<RegistrationDoc> {
      const p = ctx.principal;
      requireScope(p, 'registrations:write');
      const regId = toObjectId(id, 'id');
      const reg = await write(d, async (session) => {
        const current = await Registration.findById(regId).session(session).lean<RegistrationDoc>().exec();
        const ev = current && (await Event.findById(current.eventId).session(session).lean<EventDoc>().exec());
        if (!current || !ev || !canSeeRegistration(p, current, ev)) throw notFound('Registration', id);
        requireAllowed(p, canManageEvent(p, ev) || isInternal(p), 'Only the organizer of the event or an admin can confirm registrations');
        if (current.status === 'CONFIRMED') return { value: current, events: [] };
        if (current.status === 'CANCELLED') throw invalidTransition('A cancelled registration cannot be confirmed', 'id');
        if (current.waitlisted) throw invalidTransition('A waitlisted registration can be confirmed once it holds a spot', 'id');
        const updated = await Registration.findOneAndUpdate({ _id: regId, status: 'PENDING', waitlisted: false }, { $set: { status: 'CONFIRMED', confirmedAt: new Date() } }, { returnDocument: 'after', session }).lean<RegistrationDoc>().exec();
        if (!updated) throw invalidTransition('The registration changed meanwhile', 'id');
        return { value: updated, events: [registrationEvent('registration.confirmed', updated)] };
      });
      refreshRegistration(ctx.loaders, reg);
      return reg;
    },

    /** Cancels a registration (attendee, organizer, admin); its spot goes to the waitlist. */
    async cancelRegistration(ctx: EventsContext, id: string, reason?: string | null): Promise<RegistrationDoc> {
      const p = ctx.principal;
      requireAuthenticated(p);
      const regId = toObjectId(id, 'id');
      const why = optionalReason(reason);
      const { updated, promoted } = await write(d, async (session) => {
        const current = await Registration.findById(regId).session(session).lean<RegistrationDoc>().exec();
        const ev = current && (await lockEvent(session, current.eventId));
        if (!current || !ev || !canSeeRegistration(p, current, ev)) throw notFound('Registration', id);
        requireAllowed(p, isSelf(p, String(current.attendeeId)) || canWriteRegistrations(p, ev), 'Only the attendee, the organizer and admins can cancel this registration');
        if (current.status === 'CANCELLED') throw invalidTransition('The registration is already cancelled', 'id');
        if (current.checkedInAt) throw invalidTransition('A checked-in registration cannot be cancelled', 'id');
        const next = await Registration.findOneAndUpdate(
          { _id: regId, status: { $in: HOLDING }, checkedInAt: null },
          { $set: { status: 'CANCELLED', cancelledAt: new Date(), cancellationReason: why, waitlisted: false }, $unset: { activeKey: 1 } },
          { returnDocument: 'after', session },
        ).lean<RegistrationDoc>().exec();
        if (!next) throw invalidTransition('The registration changed meanwhile', 'id');
        const freed = current.waitlisted ? [] : await promoteWaitlisted(d, session, ev);
        return {
          value: { updated: next, promoted: freed },
          events: [registrationEvent('registration.cancelled', next), ...freed.map((r) => registrationEvent('registration.promoted', r))],
        };
      }, '');
      for (const r of [updated, ...promoted]) refreshRegistration(ctx.loaders, r);
      return updated;
    },
  };
}
