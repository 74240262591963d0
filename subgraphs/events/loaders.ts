/**
 * Per-request DataLoaders of the events subgraph: every relation and every count is one database
 * command per batch, so a list of N items costs the same number of commands as a list of one.
 */
import DataLoader from 'dataloader';
import type { Types } from 'mongoose';
import { byIdLoader, groupLoader } from '../kit/loaders.js';
import { maybeObjectId } from '../kit/ids.js';
import { connectionLoader, type ConnectionLoader } from '../kit/pagination.js';
import type { SubgraphContext } from '../kit/context.js';
import type { CheckInDoc, EventDoc, EventsModels, RegistrationDoc, RegistrationStatus, SessionDoc } from './models.js';

/** Spots held and waiting of one event (unanswered invitations are neither). */
export interface RegistrationCounts {
  /** PENDING or CONFIRMED and not waitlisted. */
  registered: number;
  waitlisted: number;
}

/** The DataLoaders of one events request. */
export interface EventsLoaders {
  event: DataLoader<string, EventDoc | null>;
  subEvents: DataLoader<string, EventDoc[]>;
  session: DataLoader<string, SessionDoc | null>;
  sessionsByEvent: DataLoader<string, SessionDoc[]>;
  registration: DataLoader<string, RegistrationDoc | null>;
  registrationByTicket: DataLoader<string, RegistrationDoc | null>;
  /** Ids of an event's waitlisted registrations, first in line first. */
  waitlistByEvent: DataLoader<string, Types.ObjectId[]>;
  checkIn: DataLoader<string, CheckInDoc | null>;
  checkInByRegistration: DataLoader<string, CheckInDoc | null>;
  checkInCount: DataLoader<string, number>;
  registrationCounts: DataLoader<string, RegistrationCounts>;
  /** Event.registrations pages (optionally of one status), batched across events. */
  registrationsByEvent: ConnectionLoader<RegistrationDoc, { status: RegistrationStatus | null }>;
  /** User.registrations pages, batched across users. */
  registrationsByUser: ConnectionLoader<RegistrationDoc>;
  /**
   * Per user: ids of the organizers of the events they hold a non-cancelled registration for that
   * they made or accepted (unanswered invitations do not count).
   */
  organizerIdsByAttendee: DataLoader<string, string[]>;
}

/** The per-request context of the events resolvers: the common context plus its loaders. */
export type EventsContext = SubgraphContext<EventsLoaders>;

/** Documents per reply: a batch answers in one round trip instead of 101 documents plus getMore. */
const BATCH = 10_000;

function objectIds(keys: readonly string[]): Types.ObjectId[] {
  return keys.map(maybeObjectId).filter((id): id is Types.ObjectId => id !== null);
}

/** A loader answering one value per key from an aggregate keyed by `_id` (the key's ObjectId). */
function aggregateLoader<V>(run: (ids: Types.ObjectId[]) => Promise<Array<{ _id: unknown } & Record<string, unknown>>>, toValue: (row: Record<string, unknown> | undefined) => V): DataLoader<string, V> {
  return new DataLoader<string, V>(async (keys) => {
    const ids = objectIds(keys);
    const rows = ids.length ? await run(ids) : [];
    const byKey = new Map<string, Record<string, unknown>>();
    for (const row of rows) byKey.set(String(row._id), row);
    return keys.map((k) => toValue(byKey.get(String(k).toLowerCase())));
  });
}

/**
 * Organizer ids per attendee in two commands for any number of attendees: one aggregate groups the
 * attendees' non-cancelled registrations (made or accepted by them; unanswered invitations do not
 * count) into distinct event ids, one find reads those events' organizers.
 */
function organizerIdsLoader(m: EventsModels): DataLoader<string, string[]> {
  return new DataLoader<string, string[]>(async (keys) => {
    const ids = objectIds(keys);
    const rows = ids.length
      ? await m.Registration.aggregate<{ _id: Types.ObjectId; eventIds: Types.ObjectId[] }>([
          { $match: { attendeeId: { $in: ids }, status: { $ne: 'CANCELLED' }, invitationState: { $ne: 'PENDING' } } },
          { $group: { _id: '$attendeeId', eventIds: { $addToSet: '$eventId' } } },
        ]).option({ batchSize: BATCH }).exec()
      : [];
    const eventIds = [...new Map(rows.flatMap((r) => r.eventIds).map((e) => [String(e), e])).values()];
    const events = eventIds.length ? await m.Event.find({ _id: { $in: eventIds } }, { organizerId: 1 }).batchSize(BATCH).lean<Array<Pick<EventDoc, '_id' | 'organizerId'>>>().exec() : [];
    const organizerOf = new Map(events.map((e) => [String(e._id), String(e.organizerId)]));
    const byAttendee = new Map<string, string[]>();
    for (const row of rows) {
      const organizers = row.eventIds.map((e) => organizerOf.get(String(e))).filter((o): o is string => o !== undefined);
      byAttendee.set(String(row._id), [...new Set(organizers)].sort());
    }
    return keys.map((k) => byAttendee.get(String(k).toLowerCase()) ?? []);
  });
}

/** Builds a fresh set of loaders (call once per request). */
export function createEventsLoaders(m: EventsModels): EventsLoaders {
  return {
    event: byIdLoader((ids) => m.Event.find({ _id: { $in: ids } }).batchSize(BATCH).lean<EventDoc[]>().exec()),
    subEvents: groupLoader((ids) => m.Event.find({ parentId: { $in: ids } }).sort({ startsAt: 1, _id: 1 }).batchSize(BATCH).lean<EventDoc[]>().exec(), (e) => e.parentId),
    session: byIdLoader((ids) => m.Session.find({ _id: { $in: ids } }).batchSize(BATCH).lean<SessionDoc[]>().exec()),
    sessionsByEvent: groupLoader((ids) => m.Session.find({ eventId: { $in: ids } }).sort({ startsAt: 1, _id: 1 }).batchSize(BATCH).lean<SessionDoc[]>().exec(), (s) => s.eventId),
    registration: byIdLoader((ids) => m.Registration.find({ _id: { $in: ids } }).batchSize(BATCH).lean<RegistrationDoc[]>().exec()),
    registrationByTicket: new DataLoader<string, RegistrationDoc | null>(async (codes) => {
      const wanted = codes.filter((c) => typeof c === 'string');
      const docs = await m.Registration.find({ ticketCode: { $in: wanted } }).batchSize(BATCH).lean<RegistrationDoc[]>().exec();
      const byCode = new Map(docs.map((d) => [d.ticketCode, d]));
      return codes.map((c) => byCode.get(c) ?? null);
    }),
    waitlistByEvent: new DataLoader<string, Types.ObjectId[]>(async (keys) => {
      const ids = objectIds(keys);
      const docs = ids.length
        ? await m.Registration.find({ eventId: { $in: ids }, status: 'PENDING', waitlisted: true }, { _id: 1, eventId: 1 }).sort({ queueSeq: 1, _id: 1 }).batchSize(BATCH).lean<Array<Pick<RegistrationDoc, '_id' | 'eventId'>>>().exec()
        : [];
      const groups = new Map<string, Types.ObjectId[]>();
      for (const d of docs) {
        const k = String(d.eventId);
        groups.set(k, [...(groups.get(k) ?? []), d._id]);
      }
      return keys.map((k) => groups.get(String(k).toLowerCase()) ?? []);
    }),
    checkIn: byIdLoader((ids) => m.CheckIn.find({ _id: { $in: ids } }).batchSize(BATCH).lean<CheckInDoc[]>().exec()),
    checkInByRegistration: new DataLoader<string, CheckInDoc | null>(async (keys) => {
      const ids = objectIds(keys);
      const docs = ids.length ? await m.CheckIn.find({ registrationId: { $in: ids } }).batchSize(BATCH).lean<CheckInDoc[]>().exec() : [];
      const byReg = new Map(docs.map((d) => [String(d.registrationId), d]));
      return keys.map((k) => byReg.get(String(k).toLowerCase()) ?? null);
    }),
    checkInCount: aggregateLoader(
      (ids) => m.CheckIn.aggregate<{ _id: Types.ObjectId; n: number }>([{ $match: { eventId: { $in: ids } } }, { $group: { _id: '$eventId', n: { $sum: 1 } } }]).option({ batchSize: BATCH }).exec(),
      (row) => Number(row?.n ?? 0),
    ),
    registrationCounts: aggregateLoader(
      (ids) =>
        m.Registration.aggregate<{ _id: Types.ObjectId; registered: number; waitlisted: number }>([
          { $match: { eventId: { $in: ids }, status: { $in: ['PENDING', 'CONFIRMED'] }, invitationState: { $ne: 'PENDING' } } },
          {
            $group: {
              _id: '$eventId',
              registered: { $sum: { $cond: [{ $eq: ['$waitlisted', true] }, 0, 1] } },
              waitlisted: { $sum: { $cond: [{ $eq: ['$waitlisted', true] }, 1, 0] } },
            },
          },
        ]).option({ batchSize: BATCH }).exec(),
      (row) => ({ registered: Number(row?.registered ?? 0), waitlisted: Number(row?.waitlisted ?? 0) }),
    ),
    registrationsByEvent: connectionLoader(m.Registration, { parentField: 'eventId', baseFilter: (a) => (a?.status ? { status: a.status } : {}) }),
    registrationsByUser: connectionLoader(m.Registration, { parentField: 'attendeeId' }),
    organizerIdsByAttendee: organizerIdsLoader(m),
  };
}

/** Primes a loader with the nodes of a page, so nested fields do not fetch them again. */
export function primeAll<T extends { _id: unknown }>(loader: DataLoader<string, T | null>, docs: T[]): void {
  for (const doc of docs) loader.prime(String(doc._id), doc);
}

/** After a write: the loaders answer the fresh event and recount its registrations and check-ins. */
export function refreshEvent(loaders: EventsLoaders, ev: EventDoc): void {
  const id = String(ev._id);
  loaders.event.clear(id).prime(id, ev);
  loaders.registrationCounts.clear(id);
  loaders.checkInCount.clear(id);
  loaders.waitlistByEvent.clear(id);
  loaders.registrationsByEvent.clearParent(id);
  if (ev.parentId) loaders.subEvents.clear(String(ev.parentId));
}

/** After a write: the loaders answer the fresh registration and recount its event. */
export function refreshRegistration(loaders: EventsLoaders, reg: RegistrationDoc): void {
  const id = String(reg._id);
  loaders.registration.clear(id).prime(id, reg);
  loaders.registrationByTicket.clear(reg.ticketCode).prime(reg.ticketCode, reg);
  loaders.checkInByRegistration.clear(id);
  const eventId = String(reg.eventId);
  loaders.registrationCounts.clear(eventId);
  loaders.waitlistByEvent.clear(eventId);
  loaders.checkInCount.clear(eventId);
  loaders.registrationsByEvent.clearParent(eventId);
  loaders.registrationsByUser.clearParent(reg.attendeeId);
  loaders.organizerIdsByAttendee.clear(String(reg.attendeeId));
}

/** After a write: the loaders answer the fresh session and its event's schedule anew. */
export function refreshSession(loaders: EventsLoaders, s: SessionDoc): void {
  const id = String(s._id);
  loaders.session.clear(id).prime(id, s);
  loaders.sessionsByEvent.clear(String(s.eventId));
}
