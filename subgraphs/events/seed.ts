/**
 * Demo data of the events subgraph, in two parts (see `DEMO_DATASETS`), each seeded only while its
 * collection is empty:
 * - `events`: the four demo events plus two sub-events of the summit series and 40 sessions, with
 *   the demo speakers when the `people` part is seeded too;
 * - `registrations`: 1,200 registrations with ticket codes, and check-ins for the checked-in ones.
 * Seed data writes no domain events.
 */
import type { Connection, Types } from 'mongoose';
import { DEMO, cyclic, demoOrganizer, demoRegistration, demoUser, fullDemoPlan, type DemoSeedPlan } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { eventsModels, type CheckInDoc, type EventDoc, type RegistrationDoc, type SessionDoc, type VenueDoc } from './models.js';
import { newTicketCode } from './service-registrations.js';

const BATCH = 500;
const HOUR = 3_600_000;

interface DemoEvent {
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timezone: string;
  capacity: number | null;
  venue: VenueDoc;
  status: EventDoc['status'];
  /** Index of the series parent. */
  parent?: number;
  /** Index used for the organizer when it differs from the event index. */
  organizerOf?: number;
  days: number;
}

const EVENTS: DemoEvent[] = [
  {
    title: 'EventGraph Summit 2027',
    description: 'Four days of talks and workshops on APIs, federation and real-time systems.',
    startsAt: '2027-05-11T09:00:00+02:00',
    endsAt: '2027-05-14T18:00:00+02:00',
    timezone: 'Europe/Berlin',
    capacity: 500,
    venue: { name: 'bcc Berlin Congress Center', address: 'Alexanderstraße 11', city: 'Berlin', country: 'Germany', onlineUrl: null },
    status: 'PUBLISHED',
    days: 4,
  },
  {
    title: 'Cloud Native Days Lisbon',
    description: 'Two days on platforms, operations and developer experience by the Tagus.',
    startsAt: '2027-06-08T09:00:00+01:00',
    endsAt: '2027-06-09T17:30:00+01:00',
    timezone: 'Europe/Lisbon',
    capacity: 400,
    venue: { name: 'Centro de Congressos de Lisboa', address: 'Praça das Indústrias 1', city: 'Lisbon', country: 'Portugal', onlineUrl: null },
    status: 'PUBLISHED',
    days: 2,
  },
  {
    title: 'Remote Product Week',
    description: 'A week of online sessions for product managers, designers and engineers.',
    startsAt: '2027-09-20T15:00:00Z',
    endsAt: '2027-09-24T19:00:00Z',
    timezone: 'UTC',
    capacity: null,
    venue: { name: 'Online', address: null, city: null, country: null, onlineUrl: 'https://live.example.com/remote-product-week' },
    status: 'PUBLISHED',
    days: 5,
  },
  {
    title: 'Data Engineering Forum New York',
    description: 'Pipelines, warehouses and streaming at scale (agenda in preparation).',
    startsAt: '2027-11-03T09:00:00-04:00',
    endsAt: '2027-11-04T17:00:00-04:00',
    timezone: 'America/New_York',
    capacity: 250,
    venue: { name: 'Javits Center', address: '429 11th Ave', city: 'New York', country: 'United States', onlineUrl: null },
    status: 'DRAFT',
    days: 2,
  },
  {
    title: 'EventGraph Summit 2027: Workshop Day',
    description: 'Hands-on workshops on the first summit day.',
    startsAt: '2027-05-11T09:00:00+02:00',
    endsAt: '2027-05-11T17:00:00+02:00',
    timezone: 'Europe/Berlin',
    capacity: 120,
    venue: { name: 'bcc Berlin Congress Center, Level B', address: 'Alexanderstraße 11', city: 'Berlin', country: 'Germany', onlineUrl: null },
    status: 'PUBLISHED',
    parent: 0,
    organizerOf: 0,
    days: 1,
  },
  {
    title: 'EventGraph Summit 2027: Hackathon',
    description: 'Twenty hours of building on the summit APIs.',
    startsAt: '2027-05-13T18:00:00+02:00',
    endsAt: '2027-05-14T14:00:00+02:00',
    timezone: 'Europe/Berlin',
    capacity: 80,
    venue: { name: 'bcc Berlin Congress Center, Hall C', address: 'Alexanderstraße 11', city: 'Berlin', country: 'Germany', onlineUrl: null },
    status: 'PUBLISHED',
    parent: 0,
    organizerOf: 0,
    days: 1,
  },
];

const TOPICS = [
  'Designing GraphQL schemas that age well',
  'Federation in practice',
  'Live data over WebSockets',
  'Idempotency keys and retries',
  'The transactional outbox pattern',
  'Rate limiting without tears',
  'Observability for API platforms',
  'Zero-downtime schema changes',
  'OAuth 2.0 for partner integrations',
  'Caching strategies for public APIs',
  'Event-driven architectures',
  'Testing distributed systems',
  'Building check-in apps that work offline',
  'Payments and webhooks done right',
  'Privacy by design and GDPR',
  'Scaling MongoDB for events',
  'Developer portals that developers love',
  'Incident response for API teams',
  'Accessibility in event apps',
  'From monolith to subgraphs',
];
const ROOMS = ['Main Hall', 'Room A', 'Room B', 'Workshop Lab'];

/**
 * Demo check-in staff by event index (user indexes among the demo attendees who hold no demo
 * registration): one person at the summit and its sub-events, one in Lisbon. Seeded with the demo
 * people only; they sign in with the `staff` role (`npm run token -- --sub <id> --roles staff`).
 */
export const DEMO_CHECK_IN_STAFF: Readonly<Record<number, readonly number[]>> = { 0: [490], 1: [491], 4: [490], 5: [490] };

async function insertInBatches<T>(model: { insertMany(docs: T[], opts: { lean: true; ordered: boolean }): Promise<unknown> }, docs: T[]): Promise<void> {
  for (let i = 0; i < docs.length; i += BATCH) await model.insertMany(docs.slice(i, i + BATCH), { lean: true, ordered: true });
}

function eventDocs(now: Date, organizerId: Types.ObjectId | undefined): EventDoc[] {
  return EVENTS.map((e, i) => {
    const organizer = demoOrganizer(e.organizerOf ?? i);
    const organizationIndex = organizerId ? null : demoUser(organizer).organizationIndex;
    return {
      _id: demoId('event', i),
      title: e.title,
      description: e.description,
      status: e.status,
      startsAt: new Date(e.startsAt),
      endsAt: new Date(e.endsAt),
      timezone: e.timezone,
      capacity: e.capacity,
      venue: e.venue,
      organizerId: organizerId ?? demoId('user', organizer),
      organizationId: organizationIndex === null ? null : demoId('org', organizationIndex),
      parentId: e.parent === undefined ? null : demoId('event', e.parent),
      cancellationReason: null,
      publishedAt: e.status === 'PUBLISHED' ? now : null,
      cancelledAt: null,
      registrationSeq: DEMO.registrations,
      createdAt: now,
      updatedAt: now,
    };
  });
}

function sessionDocs(events: EventDoc[], now: Date, withSpeakers: boolean): SessionDoc[] {
  const [firstSpeaker, lastSpeaker] = DEMO.speakerRange;
  const speakerCount = lastSpeaker - firstSpeaker + 1;
  return Array.from({ length: DEMO.sessions }, (_, i) => {
    const eventIndex = i % DEMO.publishedEvents;
    const ev = cyclic(events, eventIndex);
    const k = Math.floor(i / DEMO.publishedEvents);
    const { days } = cyclic(EVENTS, eventIndex);
    const startsAt = new Date(ev.startsAt.getTime() + (k % days) * 24 * HOUR + Math.floor(k / days) * HOUR);
    const speakers: Types.ObjectId[] = [demoId('user', firstSpeaker + (i % speakerCount))];
    if (i % 5 === 0) speakers.push(demoId('user', firstSpeaker + ((i + speakerCount / 2) % speakerCount)));
    return {
      _id: demoId('session', i),
      eventId: ev._id,
      title: i < TOPICS.length ? cyclic(TOPICS, i) : `${cyclic(TOPICS, i)}: lessons from production`,
      description: null,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 0.75 * HOUR),
      room: ev.venue?.onlineUrl ? 'Stage 1' : cyclic(ROOMS, i),
      status: 'SCHEDULED',
      cancellationReason: null,
      speakerIds: withSpeakers ? speakers : [],
      createdAt: now,
      updatedAt: now,
    };
  });
}

/**
 * Seeds the parts of the plan that belong to the events subgraph (all of them by default), each
 * only while its collection is empty; idempotent.
 */
export async function seedEvents(conn: Connection, plan: DemoSeedPlan = fullDemoPlan()): Promise<{ seeded: boolean }> {
  const m = eventsModels(conn);
  const now = new Date();
  const withStaff = plan.datasets.has('people') && !plan.organizerId;
  const events = eventDocs(now, plan.organizerId).map((e, i) => ({ ...e, checkInStaffIds: withStaff ? (DEMO_CHECK_IN_STAFF[i] ?? []).map((u) => demoId('user', u)) : [] }));
  let seeded = false;
  if (plan.datasets.has('events') && !(await m.Event.exists({}).exec())) {
    await insertInBatches(m.Event, events);
    await insertInBatches(m.Session, sessionDocs(events, now, plan.datasets.has('people')));
    seeded = true;
  }
  if (plan.datasets.has('registrations') && !(await m.Registration.exists({}).exec())) {
    await seedRegistrations(conn, events, now);
    seeded = true;
  }
  return { seeded };
}

async function seedRegistrations(conn: Connection, events: EventDoc[], now: Date): Promise<void> {
  const m = eventsModels(conn);
  const registrations: RegistrationDoc[] = [];
  const checkIns: CheckInDoc[] = [];
  for (let r = 0; r < DEMO.registrations; r++) {
    const demo = demoRegistration(r);
    const ev = cyclic(events, demo.eventIndex);
    const createdAt = new Date(now.getTime() - (DEMO.registrations - r) * 60_000);
    const checkedInAt = demo.checkedIn ? new Date(ev.startsAt.getTime() + (r % 120) * 60_000) : null;
    const reg: RegistrationDoc = {
      _id: demoId('registration', r),
      eventId: ev._id,
      attendeeId: demoId('user', demo.userIndex),
      status: demo.status,
      ticketCode: newTicketCode(),
      waitlisted: false,
      queueSeq: r,
      cancellationReason: demo.status === 'CANCELLED' ? 'Plans changed' : null,
      confirmedAt: demo.status === 'CONFIRMED' ? createdAt : null,
      cancelledAt: demo.status === 'CANCELLED' ? createdAt : null,
      checkedInAt,
      createdAt,
      updatedAt: createdAt,
    };
    if (demo.status !== 'CANCELLED') reg.activeKey = `${ev._id.toHexString()}:${reg.attendeeId.toHexString()}`;
    registrations.push(reg);
    if (checkedInAt) {
      checkIns.push({ _id: demoId('checkin', r), registrationId: reg._id, eventId: ev._id, attendeeId: reg.attendeeId, checkedInAt, method: r % 2 ? 'TICKET_CODE' : 'REGISTRATION_ID', checkedInBy: null });
    }
  }
  await insertInBatches(m.Registration, registrations);
  await insertInBatches(m.CheckIn, checkIns);
}
