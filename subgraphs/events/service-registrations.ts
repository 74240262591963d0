/**
 * Registering: the caller for themself, an admin for anyone, an organizer by invitation (the
 * registration counts, holds a spot and reveals anything only once the attendee accepts), one at a
 * time or in a batch, with a waitlist once the event is full; and the registration lookups and
 * lists with their object rules. The attendees are checked at the people subgraph before anything
 * is written.
 */
import { randomBytes } from 'node:crypto';
import { Types, type ClientSession } from 'mongoose';
import { requireAuthenticated } from '../kit/authz.js';
import { appError, badInput, notFound } from '../../platform/errors.js';
import { onlyCreated } from '../kit/db.js';
import { toObjectId } from '../kit/ids.js';
import type { PageArgs } from '../kit/pagination.js';
import { isDuplicateKeyError } from '../kit/validation.js';
import { actorId, canSeeEvent, canSeeRegistration, invalidTransition, requireListUserRegistrations, requireReadRegistrations, requireRegistrationMode, type RegistrationMode } from './access.js';
import { registrationEvent } from './events.js';
import { checkBatch } from './input.js';
import { primeAll, refreshRegistration, type EventsContext } from './loaders.js';
import type { EventDoc, RegistrationDoc, RegistrationStatus } from './models.js';
import { userRefError, type UserProblem } from './references.js';
import { itemError, write, type ItemError, type EventsServiceOptions } from './service-base.js';

/** Statuses that hold a spot (unless waitlisted or an unanswered invitation). */
export const HOLDING: readonly RegistrationStatus[] = ['PENDING', 'CONFIRMED'];

/** Registrations that hold a spot or wait for one: everything but unanswered invitations. */
const COUNTED = { invitationState: { $ne: 'PENDING' } } as const;

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
export function heldSpots(d: EventsServiceOptions, session: ClientSession, eventId: Types.ObjectId): Promise<number> {
  return d.models.Registration.countDocuments({ eventId, status: { $in: HOLDING }, waitlisted: false, ...COUNTED }).session(session).exec();
}

/** Gives free spots to the first waitlisted registrations (in waitlist order); answers the promoted ones. */
export async function promoteWaitlisted(d: EventsServiceOptions, session: ClientSession, ev: EventDoc): Promise<RegistrationDoc[]> {
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

/** Locks the event for a change of who holds a spot (concurrent changes conflict and retry). */
export function lockEvent(d: EventsServiceOptions, session: ClientSession, eventId: Types.ObjectId): Promise<EventDoc | null> {
  return d.models.Event.findOneAndUpdate({ _id: eventId }, { $inc: { registrationSeq: 1 } }, { returnDocument: 'after', session, timestamps: false }).lean<EventDoc>().exec();
}

/** Refuses registering for an event that is not open (unpublished or over). */
export function requireOpenForRegistration(ev: EventDoc, target: string): void {
  if (ev.status !== 'PUBLISHED') throw invalidTransition(`Registration is open only for published events (this event is ${ev.status})`, target);
  if (ev.endsAt.getTime() < Date.now()) throw invalidTransition('The event has already ended', target);
}

/** `RegisterInput`: the event, and the attendee when not the caller. */
export interface RegisterInput {
  eventId: string;
  attendeeId?: string | null;
}

/** The outcome of one item of `registerBatch`: its registration or its error. */
export interface RegistrationBatchResult {
  index: number;
  registration: RegistrationDoc | null;
  error: ItemError | null;
}

/** Where the errors about one registration point. */
interface Targets {
  event: string;
  attendee: string;
}

/** Registration lookups, lists and registering. */
export function registrationOps(d: EventsServiceOptions) {
  const { Registration } = d.models;

  /** Loads the event for a registration and answers how the caller may register the attendee. */
  async function modeFor(ctx: EventsContext, eventId: Types.ObjectId, attendeeId: Types.ObjectId, targets: Targets): Promise<Exclude<RegistrationMode, null>> {
    const ev = await ctx.loaders.event.load(eventId.toHexString());
    if (!ev || !canSeeEvent(ctx.principal, ev)) throw notFound('Event', eventId.toHexString(), targets.event);
    const mode = requireRegistrationMode(ctx.principal, ev, attendeeId.toHexString(), targets.attendee);
    requireOpenForRegistration(ev, targets.event);
    return mode;
  }

  /** Writes one registration whose attendee was checked at the people subgraph. */
  async function registerChecked(ctx: EventsContext, eventId: Types.ObjectId, attendeeId: Types.ObjectId, targets: Targets): Promise<RegistrationDoc> {
    const p = ctx.principal;
    const activeKey = `${eventId.toHexString()}:${attendeeId.toHexString()}`;
    const conflict = (existing?: Pick<RegistrationDoc, 'invitationState'> | null) =>
      appError('CONFLICT', 'The attendee is already registered for this event', {
        details:
          existing?.invitationState === 'PENDING'
            ? `User '${attendeeId.toHexString()}' is already invited to this event; the invitation can be accepted with acceptInvitation`
            : `User '${attendeeId.toHexString()}' already holds a registration for this event`,
        target: targets.attendee,
      });
    try {
      const reg = await write(d, async (session) => {
        const ev = await lockEvent(d, session, eventId);
        if (!ev || !canSeeEvent(p, ev)) throw notFound('Event', eventId.toHexString(), targets.event);
        const mode = requireRegistrationMode(p, ev, attendeeId.toHexString(), targets.attendee);
        requireOpenForRegistration(ev, targets.event);
        const existing = await Registration.findOne({ activeKey }, { invitationState: 1 }).session(session).lean<Pick<RegistrationDoc, 'invitationState'>>().exec();
        if (existing) throw conflict(existing);
        const invited = mode === 'invitation';
        const waitlisted = !invited && ev.capacity !== null && (await heldSpots(d, session, eventId)) >= ev.capacity;
        const inviter = invited ? actorId(p) : null;
        const doc = onlyCreated(await Registration.create(
          [
            {
              eventId,
              attendeeId,
              status: 'PENDING',
              ticketCode: newTicketCode(),
              waitlisted,
              queueSeq: ev.registrationSeq,
              activeKey,
              invitationState: invited ? 'PENDING' : null,
              invitedBy: inviter ? new Types.ObjectId(inviter) : null,
            },
          ],
          { session },
        ));
        const created = doc.toObject() as RegistrationDoc;
        return { value: created, events: [registrationEvent(invited ? 'registration.invited' : 'registration.created', created)] };
      });
      refreshRegistration(ctx.loaders, reg);
      return reg;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw conflict(null);
      throw err;
    }
  }

  /** The attendee of a registration the caller makes: the given id, else the caller. */
  function attendeeOf(ctx: EventsContext, raw: string | null | undefined, target: string): Types.ObjectId {
    if (raw !== undefined && raw !== null) return toObjectId(raw, target);
    const me = actorId(ctx.principal);
    if (!me) throw badInput(target, 'an attendee is required when the caller is not a user');
    return new Types.ObjectId(me);
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
      requireListUserRegistrations(ctx.principal, userId);
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

    /** Registers the caller; admins register anyone; the event's organizer invites. */
    async register(ctx: EventsContext, input: RegisterInput): Promise<RegistrationDoc> {
      requireAuthenticated(ctx.principal);
      const targets = { event: 'input.eventId', attendee: 'input.attendeeId' };
      const eventId = toObjectId(input.eventId, targets.event);
      const attendeeId = attendeeOf(ctx, input.attendeeId, targets.attendee);
      await modeFor(ctx, eventId, attendeeId, targets);
      await d.refs.requireUsers(ctx, [{ id: attendeeId.toHexString(), target: targets.attendee }]);
      return registerChecked(ctx, eventId, attendeeId, targets);
    },

    /**
     * Registers up to 100 attendees; each item succeeds or fails on its own. The attendees are
     * checked at the people subgraph in one call; when it cannot answer, nothing is written.
     */
    async registerBatch(ctx: EventsContext, eventId: string, attendeeIds: string[]): Promise<RegistrationBatchResult[]> {
      requireAuthenticated(ctx.principal);
      const eventOid = toObjectId(eventId, 'eventId');
      checkBatch(attendeeIds, 'attendeeIds');
      const items = await Promise.all(
        attendeeIds.map(async (raw, index) => {
          const targets = { event: 'eventId', attendee: `attendeeIds.${index}` };
          try {
            const attendeeId = toObjectId(raw, targets.attendee);
            await modeFor(ctx, eventOid, attendeeId, targets);
            return { index, targets, attendeeId, error: null as unknown };
          } catch (error) {
            return { index, targets, attendeeId: null, error };
          }
        }),
      );
      const allowed = items.flatMap((i) => (i.attendeeId ? [i.attendeeId.toHexString()] : []));
      const problems: Map<string, UserProblem> = await d.refs.userProblems(ctx, allowed);
      const results: RegistrationBatchResult[] = [];
      for (const item of items) {
        try {
          if (item.error !== null || !item.attendeeId) throw item.error;
          const problem = problems.get(item.attendeeId.toHexString());
          if (problem) throw userRefError({ id: item.attendeeId.toHexString(), target: item.targets.attendee }, problem);
          results.push({ index: item.index, registration: await registerChecked(ctx, eventOid, item.attendeeId, item.targets), error: null });
        } catch (err) {
          results.push({ index: item.index, registration: null, error: itemError(err, ctx.logger) });
        }
      }
      return results;
    },
  };
}
