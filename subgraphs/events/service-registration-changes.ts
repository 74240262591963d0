/**
 * Changes to existing registrations: confirmation by the organizer, cancellation (which hands a
 * freed spot to the waitlist), and the invited attendee's answer. Accepting an invitation is the
 * moment the registration is really made: it takes a spot (or joins the waitlist) and from then on
 * counts like one the attendee made; declining cancels it.
 */
import type { Types } from 'mongoose';
import { requireAuthenticated } from '../kit/authz.js';
import { notFound } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import { actsFor, canSeeRegistration, invalidTransition, requireAnswerInvitation, requireCancelRegistration, requireConfirmRegistration } from './access.js';
import { registrationEvent } from './events.js';
import { optionalReason } from './input.js';
import { refreshRegistration, type EventsContext } from './loaders.js';
import type { EventDoc, RegistrationDoc } from './models.js';
import { HOLDING, heldSpots, lockEvent, promoteWaitlisted, requireOpenForRegistration } from './service-registrations.js';
import { write, type EventsServiceOptions } from './service-base.js';

/** Reason recorded on a registration whose invitation the attendee declined. */
const DECLINED_REASON = 'Invitation declined';

/** Confirm, cancel, accept and decline. */
export function registrationChangeOps(d: EventsServiceOptions) {
  const { Registration, Event } = d.models;

  /** Reads a registration and its (locked) event inside the transaction; invisible ones are not found. */
  async function loadVisible(ctx: EventsContext, session: Parameters<typeof lockEvent>[1], regId: Types.ObjectId, id: string, target: string, lock: boolean): Promise<{ current: RegistrationDoc; ev: EventDoc }> {
    const current = await Registration.findById(regId).session(session).lean<RegistrationDoc>().exec();
    const ev = current && (lock ? await lockEvent(d, session, current.eventId) : await Event.findById(current.eventId).session(session).lean<EventDoc>().exec());
    if (!current || !ev || !canSeeRegistration(ctx.principal, current, ev)) throw notFound('Registration', id, target);
    return { current, ev };
  }

  /** Loads a pending invitation for its attendee's answer; an answer given before is answered again unchanged. */
  function pendingInvitation(current: RegistrationDoc, answer: 'ACCEPTED' | 'DECLINED'): RegistrationDoc | null {
    if (current.invitationState === answer && (answer === 'DECLINED' || current.status !== 'CANCELLED')) return current;
    if (current.invitationState !== 'PENDING' || current.status !== 'PENDING') {
      throw invalidTransition(current.invitationState ? `The invitation is ${current.invitationState.toLowerCase()}` : 'This registration is not an invitation', 'registrationId');
    }
    return null;
  }

  return {
    /** PENDING (holding a spot) → CONFIRMED; confirming a confirmed registration changes nothing. */
    async confirmRegistration(ctx: EventsContext, id: string): Promise<RegistrationDoc> {
      const p = ctx.principal;
      requireAuthenticated(p);
      const regId = toObjectId(id, 'id');
      const reg = await write(d, async (session) => {
        const { current, ev } = await loadVisible(ctx, session, regId, id, 'id', false);
        requireConfirmRegistration(p, ev);
        if (current.status === 'CONFIRMED') return { value: current, events: [] };
        if (current.status === 'CANCELLED') throw invalidTransition('A cancelled registration cannot be confirmed', 'id');
        if (current.invitationState === 'PENDING') throw invalidTransition('The attendee has not accepted the invitation yet', 'id');
        if (current.waitlisted) throw invalidTransition('A waitlisted registration can be confirmed once it holds a spot', 'id');
        const updated = await Registration.findOneAndUpdate({ _id: regId, status: 'PENDING', waitlisted: false, invitationState: { $ne: 'PENDING' } }, { $set: { status: 'CONFIRMED', confirmedAt: new Date() } }, { returnDocument: 'after', session }).lean<RegistrationDoc>().exec();
        if (!updated) throw invalidTransition('The registration changed meanwhile', 'id');
        return { value: updated, events: [registrationEvent('registration.confirmed', updated)] };
      });
      refreshRegistration(ctx.loaders, reg);
      return reg;
    },

    /**
     * Cancels a registration (attendee, organizer, admin); its spot goes to the waitlist. An
     * unanswered invitation cancelled by its attendee is declined, by anyone else withdrawn.
     */
    async cancelRegistration(ctx: EventsContext, id: string, reason?: string | null): Promise<RegistrationDoc> {
      const p = ctx.principal;
      requireAuthenticated(p);
      const regId = toObjectId(id, 'id');
      const why = optionalReason(reason);
      const { updated, promoted } = await write(d, async (session) => {
        const { current, ev } = await loadVisible(ctx, session, regId, id, 'id', true);
        requireCancelRegistration(p, current, ev);
        if (current.status === 'CANCELLED') throw invalidTransition('The registration is already cancelled', 'id');
        if (current.checkedInAt) throw invalidTransition('A checked-in registration cannot be cancelled', 'id');
        const now = new Date();
        const invitation = current.invitationState === 'PENDING' ? { invitationState: actsFor(p, current.attendeeId, 'registrations:write') ? 'DECLINED' : 'WITHDRAWN', invitationAnsweredAt: now } : {};
        const next = await Registration.findOneAndUpdate(
          { _id: regId, status: { $in: HOLDING }, checkedInAt: null },
          { $set: { status: 'CANCELLED', cancelledAt: now, cancellationReason: why, waitlisted: false, ...invitation }, $unset: { activeKey: 1 } },
          { returnDocument: 'after', session },
        ).lean<RegistrationDoc>().exec();
        if (!next) throw invalidTransition('The registration changed meanwhile', 'id');
        const heldASpot = !current.waitlisted && current.invitationState !== 'PENDING';
        const freed = heldASpot ? await promoteWaitlisted(d, session, ev) : [];
        return {
          value: { updated: next, promoted: freed },
          events: [registrationEvent('registration.cancelled', next), ...freed.map((r) => registrationEvent('registration.promoted', r))],
        };
      }, '');
      for (const r of [updated, ...promoted]) refreshRegistration(ctx.loaders, r);
      return updated;
    },

    /** The invited attendee accepts: the registration takes a spot, or joins the waitlist when the event is full. */
    async acceptInvitation(ctx: EventsContext, registrationId: string): Promise<RegistrationDoc> {
      const p = ctx.principal;
      requireAuthenticated(p);
      const regId = toObjectId(registrationId, 'registrationId');
      const reg = await write(d, async (session) => {
        const { current, ev } = await loadVisible(ctx, session, regId, registrationId, 'registrationId', true);
        requireAnswerInvitation(p, current);
        const answered = pendingInvitation(current, 'ACCEPTED');
        if (answered) return { value: answered, events: [] };
        requireOpenForRegistration(ev, 'registrationId');
        const waitlisted = ev.capacity !== null && (await heldSpots(d, session, ev._id)) >= ev.capacity;
        const updated = await Registration.findOneAndUpdate(
          { _id: regId, status: 'PENDING', invitationState: 'PENDING' },
          { $set: { invitationState: 'ACCEPTED', invitationAnsweredAt: new Date(), waitlisted, queueSeq: ev.registrationSeq } },
          { returnDocument: 'after', session },
        ).lean<RegistrationDoc>().exec();
        if (!updated) throw invalidTransition('The invitation changed meanwhile', 'registrationId');
        return { value: updated, events: [registrationEvent('registration.created', updated)] };
      }, '');
      refreshRegistration(ctx.loaders, reg);
      return reg;
    },

    /** The invited attendee declines: the registration is cancelled. */
    async declineInvitation(ctx: EventsContext, registrationId: string): Promise<RegistrationDoc> {
      const p = ctx.principal;
      requireAuthenticated(p);
      const regId = toObjectId(registrationId, 'registrationId');
      const reg = await write(d, async (session) => {
        const { current } = await loadVisible(ctx, session, regId, registrationId, 'registrationId', false);
        requireAnswerInvitation(p, current);
        const answered = pendingInvitation(current, 'DECLINED');
        if (answered) return { value: answered, events: [] };
        const now = new Date();
        const updated = await Registration.findOneAndUpdate(
          { _id: regId, status: 'PENDING', invitationState: 'PENDING' },
          { $set: { status: 'CANCELLED', cancelledAt: now, cancellationReason: DECLINED_REASON, invitationState: 'DECLINED', invitationAnsweredAt: now }, $unset: { activeKey: 1 } },
          { returnDocument: 'after', session },
        ).lean<RegistrationDoc>().exec();
        if (!updated) throw invalidTransition('The invitation changed meanwhile', 'registrationId');
        return { value: updated, events: [registrationEvent('registration.cancelled', updated)] };
      }, '');
      refreshRegistration(ctx.loaders, reg);
      return reg;
    },
  };
}
