/**
 * Resolvers of the events subgraph: thin mappings onto the service and the per-request loaders.
 * Objects are lean documents (or documents rebuilt from delivered domain events), so ids are read
 * with `String(...)` and dates may be Date or ISO string.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { scalarResolvers } from '../kit/scalars.js';
import type { PageArgs } from '../kit/pagination.js';
import type { LiveFeed } from '../kit/live.js';
import { canSeeEvent, userIdOf } from './access.js';
import type { EventsContext } from './loaders.js';
import type { CheckInDoc, EventDoc, RegistrationDoc, RegistrationStatus, SessionDoc } from './models.js';
import type { EventsService } from './service.js';
import type { EventsArgs } from './service-events.js';
import { subscriptionResolvers } from './subscriptions.js';

type Ref = { id: string };
type Obj = { _id: unknown };

const userRef = (id: unknown) => ({ __typename: 'User', id: String(id) });
const idOf = (o: Obj) => String(o._id);

/** The service and the live feed the events resolvers map onto. */
export interface EventsResolversOptions {
  service: EventsService;
  /** Replay-then-live feeds of the subgraph's outbox (the Subscription fields). */
  live: LiveFeed;
}

/** The resolver map of the events subgraph. */
export function createEventsResolvers({ service, live }: EventsResolversOptions): GraphQLResolverMap<EventsContext> {
  return {
    ...scalarResolvers,
    Query: {
      event: (_: unknown, { id }: Ref, ctx: EventsContext) => service.event(ctx, id),
      events: (_: unknown, args: EventsArgs, ctx: EventsContext) => service.events(ctx, args),
      session: (_: unknown, { id }: Ref, ctx: EventsContext) => service.session(ctx, id),
      registration: (_: unknown, { id }: Ref, ctx: EventsContext) => service.registration(ctx, id),
    },
    Mutation: {
      createEvent: (_: unknown, { input }: { input: Parameters<EventsService['createEvent']>[1] }, ctx: EventsContext) => service.createEvent(ctx, input),
      updateEvent: (_: unknown, { id, input }: Ref & { input: Parameters<EventsService['updateEvent']>[2] }, ctx: EventsContext) => service.updateEvent(ctx, id, input),
      publishEvent: (_: unknown, { id }: Ref, ctx: EventsContext) => service.publishEvent(ctx, id),
      cancelEvent: (_: unknown, { id, reason }: Ref & { reason: string }, ctx: EventsContext) => service.cancelEvent(ctx, id, reason),
      createSession: (_: unknown, { input }: { input: Parameters<EventsService['createSession']>[1] }, ctx: EventsContext) => service.createSession(ctx, input),
      updateSession: (_: unknown, { id, input }: Ref & { input: Parameters<EventsService['updateSession']>[2] }, ctx: EventsContext) => service.updateSession(ctx, id, input),
      cancelSession: (_: unknown, { id, reason }: Ref & { reason: string }, ctx: EventsContext) => service.cancelSession(ctx, id, reason),
      assignSpeakers: (_: unknown, a: { sessionId: string; speakerIds: string[] }, ctx: EventsContext) => service.assignSpeakers(ctx, a.sessionId, a.speakerIds),
      register: (_: unknown, { input }: { input: Parameters<EventsService['register']>[1] }, ctx: EventsContext) => service.register(ctx, input),
      registerBatch: (_: unknown, a: { eventId: string; attendeeIds: string[] }, ctx: EventsContext) => service.registerBatch(ctx, a.eventId, a.attendeeIds),
      confirmRegistration: (_: unknown, { id }: Ref, ctx: EventsContext) => service.confirmRegistration(ctx, id),
      cancelRegistration: (_: unknown, { id, reason }: Ref & { reason?: string | null }, ctx: EventsContext) => service.cancelRegistration(ctx, id, reason),
      acceptInvitation: (_: unknown, a: { registrationId: string }, ctx: EventsContext) => service.acceptInvitation(ctx, a.registrationId),
      declineInvitation: (_: unknown, a: { registrationId: string }, ctx: EventsContext) => service.declineInvitation(ctx, a.registrationId),
      assignCheckInStaff: (_: unknown, a: { eventId: string; userId: string }, ctx: EventsContext) => service.assignCheckInStaff(ctx, a.eventId, a.userId),
      removeCheckInStaff: (_: unknown, a: { eventId: string; userId: string }, ctx: EventsContext) => service.removeCheckInStaff(ctx, a.eventId, a.userId),
      checkIn: (_: unknown, a: { registrationId?: string | null; ticketCode?: string | null }, ctx: EventsContext) => service.checkIn(ctx, a),
      bulkCheckIn: (_: unknown, a: { items: Parameters<EventsService['bulkCheckIn']>[1] }, ctx: EventsContext) => service.bulkCheckIn(ctx, a.items),
    },
    Subscription: subscriptionResolvers(live),
    User: {
      __resolveReference: (ref: Ref) => ({ id: ref.id }),
      registrations: (u: Ref, args: PageArgs, ctx: EventsContext) => service.userRegistrations(ctx, u.id, args),
      // @inaccessible: only the gateway asks, to hand the people subgraph what `User.email` requires.
      // Only a signed-in user can be one of the organizers, so for anyone else the answer is empty.
      organizerIdsOfRegisteredEvents: (u: Ref, _: unknown, ctx: EventsContext) => (userIdOf(ctx.principal) ? ctx.loaders.organizerIdsByAttendee.load(String(u.id)) : []),
    },
    Event: {
      __resolveReference: async (ref: Ref, ctx: EventsContext) => {
        const ev = await ctx.loaders.event.load(String(ref.id));
        return ev && canSeeEvent(ctx.principal, ev) ? ev : null;
      },
      id: idOf,
      organizer: (e: EventDoc) => userRef(e.organizerId),
      organizationId: (e: EventDoc) => (e.organizationId ? String(e.organizationId) : null),
      parent: async (e: EventDoc, _: unknown, ctx: EventsContext) => {
        if (!e.parentId) return null;
        const parent = await ctx.loaders.event.load(String(e.parentId));
        return parent && canSeeEvent(ctx.principal, parent) ? parent : null;
      },
      subEvents: async (e: EventDoc, _: unknown, ctx: EventsContext) => (await ctx.loaders.subEvents.load(idOf(e))).filter((s) => canSeeEvent(ctx.principal, s)),
      sessions: (e: EventDoc, _: unknown, ctx: EventsContext) => ctx.loaders.sessionsByEvent.load(idOf(e)),
      registrations: (e: EventDoc, args: PageArgs & { status?: RegistrationStatus | null }, ctx: EventsContext) => service.eventRegistrations(ctx, e, args),
      checkInStaff: (e: EventDoc, _: unknown, ctx: EventsContext) => service.checkInStaff(ctx, e),
      checkInCount: (e: EventDoc, _: unknown, ctx: EventsContext) => ctx.loaders.checkInCount.load(idOf(e)),
      registeredCount: async (e: EventDoc, _: unknown, ctx: EventsContext) => (await ctx.loaders.registrationCounts.load(idOf(e))).registered,
      waitlistCount: async (e: EventDoc, _: unknown, ctx: EventsContext) => (await ctx.loaders.registrationCounts.load(idOf(e))).waitlisted,
      spotsLeft: async (e: EventDoc, _: unknown, ctx: EventsContext) => {
        if (e.capacity === null || e.capacity === undefined) return null;
        const { registered } = await ctx.loaders.registrationCounts.load(idOf(e));
        return Math.max(0, e.capacity - registered);
      },
    },
    Session: {
      __resolveReference: async (ref: Ref, ctx: EventsContext) => {
        const s = await ctx.loaders.session.load(String(ref.id));
        const ev = s && (await ctx.loaders.event.load(String(s.eventId)));
        return s && ev && canSeeEvent(ctx.principal, ev) ? s : null;
      },
      id: idOf,
      speakers: (s: SessionDoc) => (s.speakerIds ?? []).map(userRef),
      event: (s: SessionDoc, _: unknown, ctx: EventsContext) => ctx.loaders.event.load(String(s.eventId)),
    },
    Registration: {
      __resolveReference: (ref: Ref, ctx: EventsContext) => service.registration(ctx, String(ref.id)),
      id: idOf,
      event: (r: RegistrationDoc, _: unknown, ctx: EventsContext) => ctx.loaders.event.load(String(r.eventId)),
      attendee: (r: RegistrationDoc) => userRef(r.attendeeId),
      // Registrations rebuilt from domain events carry no ticket code (a credential kept out of the log).
      ticketCode: async (r: RegistrationDoc, _: unknown, ctx: EventsContext) => r.ticketCode ?? (await ctx.loaders.registration.load(idOf(r)))?.ticketCode,
      waitlistPosition: (r: RegistrationDoc, _: unknown, ctx: EventsContext) => service.waitlistPosition(ctx, r),
      checkIn: (r: RegistrationDoc, _: unknown, ctx: EventsContext) => ctx.loaders.checkInByRegistration.load(idOf(r)),
      invitation: (r: RegistrationDoc) =>
        r.invitationState
          ? { state: r.invitationState, invitedBy: r.invitedBy ? userRef(r.invitedBy) : null, invitedAt: r.createdAt, answeredAt: r.invitationAnsweredAt ?? null }
          : null,
    },
    CheckIn: {
      __resolveReference: async (ref: Ref, ctx: EventsContext) => {
        const ci = await ctx.loaders.checkIn.load(String(ref.id));
        return ci && (await service.registration(ctx, String(ci.registrationId))) ? ci : null;
      },
      id: idOf,
      registration: (c: CheckInDoc, _: unknown, ctx: EventsContext) => ctx.loaders.registration.load(String(c.registrationId)),
    },
  };
}
