/**
 * Check-in operations. A check-in is idempotent by registration: the unique index on
 * `registrationId` lets exactly one of any number of concurrent attempts insert; the others read the
 * winner, so there is one CheckIn and one `checkin.completed` event per registration. Each
 * registration is checked in only by those who may check in at its event (its organizer, its
 * check-in staff, global powers; see access.ts).
 */
import { Types } from 'mongoose';
import { appError, badInput } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import { isDuplicateKeyError } from '../kit/validation.js';
import { invalidTransition, requireCheckIn, requireUseCheckIn } from './access.js';
import { checkInEvent } from './events.js';
import { checkBatch } from './input.js';
import { refreshRegistration, type EventsContext } from './loaders.js';
import type { CheckInDoc, CheckInMethod, RegistrationDoc } from './models.js';
import { itemError, write, type ItemError, type EventsServiceOptions } from './service-base.js';
import { TICKET_CODE_RE } from './service-registrations.js';

/** What names a registration to check in: exactly one of its id and its ticket code. */
export interface CheckInItem {
  registrationId?: string | null;
  ticketCode?: string | null;
}

/** The outcome of one item of `bulkCheckIn`: its check-in or its error. */
export interface CheckInBatchResult {
  index: number;
  checkIn: CheckInDoc | null;
  error: ItemError | null;
}

/** Check-ins, one at a time or in bulk. */
export function checkInOps(d: EventsServiceOptions) {
  const { CheckIn, Registration } = d.models;

  /** Finds the registration an item names (exactly one of registrationId and ticketCode). */
  async function resolveItem(ctx: EventsContext, item: CheckInItem, prefix: string): Promise<{ reg: RegistrationDoc; method: CheckInMethod; target: string }> {
    const hasId = item.registrationId !== undefined && item.registrationId !== null;
    const hasCode = item.ticketCode !== undefined && item.ticketCode !== null;
    if (hasId && hasCode) throw badInput(`${prefix}ticketCode`, 'give either registrationId or ticketCode, not both');
    if (hasId) {
      const target = `${prefix}registrationId`;
      const id = toObjectId(item.registrationId, target).toHexString();
      const reg = await ctx.loaders.registration.load(id);
      if (!reg) throw appError('RESOURCE_NOT_FOUND', 'The requested registration could not be found', { details: `Registration with ID '${id}' does not exist`, target });
      return { reg, method: 'REGISTRATION_ID', target };
    }
    if (hasCode) {
      const target = `${prefix}ticketCode`;
      const code = String(item.ticketCode).trim().toUpperCase();
      if (!TICKET_CODE_RE.test(code)) throw badInput(target, 'is not a ticket code (TCK- followed by 16 characters)');
      const reg = await ctx.loaders.registrationByTicket.load(code);
      if (!reg) throw appError('RESOURCE_NOT_FOUND', 'The requested ticket could not be found', { details: 'No registration has this ticket code', target });
      return { reg, method: 'TICKET_CODE', target };
    }
    throw badInput(`${prefix}registrationId`, 'registrationId or ticketCode is required');
  }

  /** Checks in one resolved registration; answers the existing check-in when there is one. */
  async function checkInResolved(ctx: EventsContext, reg: RegistrationDoc, method: CheckInMethod, target: string): Promise<CheckInDoc> {
    const registrationId = reg._id;
    const ev = await ctx.loaders.event.load(String(reg.eventId));
    if (ev) requireCheckIn(ctx.principal, ev, target);
    const existing = await ctx.loaders.checkInByRegistration.load(registrationId.toHexString());
    if (existing) return existing;
    if (reg.status === 'CANCELLED') throw invalidTransition('A cancelled registration cannot be checked in', target);
    if (reg.invitationState === 'PENDING') throw invalidTransition('The attendee has not accepted the invitation yet', target);
    if (reg.waitlisted) throw invalidTransition('A waitlisted registration cannot be checked in', target);
    if (!ev || ev.status !== 'PUBLISHED') throw invalidTransition(`Check-in is open only for published events (this event is ${ev?.status ?? 'missing'})`, target);
    try {
      const checkIn = await write(d, async (session) => {
        const winner = await CheckIn.findOne({ registrationId }).session(session).lean<CheckInDoc>().exec();
        if (winner) return { value: winner, events: [] };
        const checkedInAt = new Date();
        const touched = await Registration.updateOne({ _id: registrationId, status: { $in: ['PENDING', 'CONFIRMED'] }, waitlisted: false, invitationState: { $ne: 'PENDING' } }, { $set: { checkedInAt } }, { session }).exec();
        if (touched.matchedCount === 0) throw invalidTransition('The registration cannot be checked in in its current state', target);
        const doc: CheckInDoc = { _id: new Types.ObjectId(), registrationId, eventId: reg.eventId, attendeeId: reg.attendeeId, checkedInAt, method, checkedInBy: ctx.principal.sub };
        await CheckIn.insertMany([doc], { session });
        return { value: doc, events: [checkInEvent(doc)] };
      });
      refreshRegistration(ctx.loaders, { ...reg, checkedInAt: checkIn.checkedInAt });
      ctx.loaders.checkInByRegistration.prime(registrationId.toHexString(), checkIn);
      return checkIn;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const winner = await CheckIn.findOne({ registrationId }).lean<CheckInDoc>().exec();
      if (!winner) throw err;
      return winner;
    }
  }

  return {
    /** Checks in by registration id or ticket code; idempotent. */
    async checkIn(ctx: EventsContext, item: CheckInItem): Promise<CheckInDoc> {
      requireUseCheckIn(ctx.principal);
      const { reg, method, target } = await resolveItem(ctx, item, '');
      return checkInResolved(ctx, reg, method, target);
    },

    /** Checks in up to 100 items; each succeeds or fails on its own. Lookups are batched. */
    async bulkCheckIn(ctx: EventsContext, items: CheckInItem[]): Promise<CheckInBatchResult[]> {
      requireUseCheckIn(ctx.principal);
      checkBatch(items, 'items');
      const resolved = await Promise.allSettled(items.map((item, i) => resolveItem(ctx, item, `items.${i}.`)));
      const results: CheckInBatchResult[] = [];
      for (const [index, r] of resolved.entries()) {
        try {
          if (r.status === 'rejected') throw r.reason;
          results.push({ index, checkIn: await checkInResolved(ctx, r.value.reg, r.value.method, r.value.target), error: null });
        } catch (err) {
          results.push({ index, checkIn: null, error: itemError(err, ctx.logger) });
        }
      }
      return results;
    },
  };
}
