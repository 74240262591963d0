/**
 * The demo dataset, described once so each subgraph can seed its own database and the references
 * between subgraphs still meet (ids come from `demoId`). Seeding happens on first start only.
 *
 * The data comes in named parts ({@link DEMO_DATASETS}); each is seeded only into an empty
 * collection. Development seeds every part. Production seeds none by itself: demo people and the
 * public demo credentials are never seeded there, and the only part that may be loaded — on
 * request, by name, with a real organizer — is the event catalogue (see {@link planDemoSeed}).
 */
import { Types } from 'mongoose';
import { ConfigError, type SubgraphName } from '../../platform/config.js';
import { demoId } from './ids.js';

/** The parts of the demo data, by the subgraph that holds them. */
const DEMO_DATASETS = {
  /** Events, sub-events and sessions: the public catalogue, no personal data, no credentials. */
  events: 'events',
  /** Registrations with ticket codes (credentials) and check-ins of demo attendees. */
  registrations: 'events',
  /** Demo users, organizations and speaker profiles. */
  people: 'people',
  /** The demo partner API client, whose key and OAuth secret are published in the README. */
  partner: 'people',
  /** Payments, invoices and refunds of the demo registrations. */
  payments: 'payments',
  /** Connectors (with demo secrets), sync jobs, webhook subscriptions and deliveries. */
  integrations: 'integrations',
} as const satisfies Record<string, SubgraphName>;

/** The name of one part of the demo data. */
export type DemoDataset = keyof typeof DEMO_DATASETS;
const DEMO_DATASET_NAMES = Object.keys(DEMO_DATASETS) as DemoDataset[];

/** The parts that hold neither personal data nor credentials: the only ones production may load. */
export const PRODUCTION_DATASETS: readonly DemoDataset[] = ['events'];

/** What one seeding run loads. */
export interface DemoSeedPlan {
  datasets: ReadonlySet<DemoDataset>;
  /** Organizer of every seeded event instead of the demo organizers (required in production). */
  organizerId?: Types.ObjectId;
}

/** What decides which parts of the demo data a run loads. */
export interface PlanDemoSeedOptions {
  /** NODE_ENV is production. */
  production: boolean;
  /** The parts asked for by name; every part when absent (development only). */
  only?: readonly string[];
  /** User id (24 hex characters) to own the seeded events. */
  organizer?: string;
}

/** Every part, with the demo organizers: what development and the tests seed. */
export function fullDemoPlan(): DemoSeedPlan {
  return { datasets: new Set(DEMO_DATASET_NAMES) };
}

/**
 * Decides what a seeding run loads, and refuses what production must never load: in production
 * the parts must be named (`--only events`), may only be {@link PRODUCTION_DATASETS}, and the
 * events need a real organizer (`--organizer <userId>`), since the demo organizers do not exist
 * there. Throws ConfigError with the reason.
 */
export function planDemoSeed(opts: PlanDemoSeedOptions): DemoSeedPlan {
  const { production, only, organizer } = opts;
  const allowed = production ? PRODUCTION_DATASETS : DEMO_DATASET_NAMES;
  if (only === undefined) {
    if (production) {
      throw new ConfigError(
        `NODE_ENV=production: demo data is never seeded by default (demo people and the demo partner credentials are never seeded in production). Name the data to load: --only ${PRODUCTION_DATASETS.join(',')} --organizer <userId>`,
      );
    }
    return { datasets: new Set(DEMO_DATASET_NAMES), organizerId: organizer === undefined ? undefined : parseOrganizer(organizer) };
  }
  const names = only.flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
  if (names.length === 0) throw new ConfigError(`--only needs one or more of: ${allowed.join(', ')}`);
  for (const name of names) {
    if (!(name in DEMO_DATASETS)) throw new ConfigError(`unknown demo data '${name}' (one of ${DEMO_DATASET_NAMES.join(', ')})`);
    if (!allowed.includes(name as DemoDataset)) {
      throw new ConfigError(`NODE_ENV=production: '${name}' holds demo people or credentials and is never seeded in production (allowed: ${allowed.join(', ')})`);
    }
  }
  const datasets = new Set(names as DemoDataset[]);
  if (production && datasets.has('events') && organizer === undefined) {
    throw new ConfigError('NODE_ENV=production: --only events needs --organizer <userId>, the existing user who will own the seeded events');
  }
  return { datasets, organizerId: organizer === undefined ? undefined : parseOrganizer(organizer) };
}

function parseOrganizer(raw: string): Types.ObjectId {
  if (!/^[0-9a-fA-F]{24}$/.test(raw)) throw new ConfigError(`--organizer must be a user id (24 hex characters), got '${raw.slice(0, 64)}'`);
  return new Types.ObjectId(raw);
}

/** The parts of a plan that belong to one subgraph. */
export function datasetsOf(plan: DemoSeedPlan, subgraph: SubgraphName): DemoDataset[] {
  return [...plan.datasets].filter((d) => DEMO_DATASETS[d] === subgraph);
}

/** Sizes and fixed choices of the demo data, shared by the subgraphs' seeders so their references meet. */
export const DEMO = {
  users: 500,
  /** user 0 */
  adminIndex: 0,
  /** users 1..4 */
  organizerIndexes: [1, 2, 3, 4],
  /** users 5..44 */
  speakerRange: [5, 44] as const,
  /** events 0..2 are published; event 3 is a draft. */
  events: 4,
  publishedEvents: 3,
  sessions: 40,
  registrations: 1200,
  /** registrations below this index (and confirmed) are checked in */
  checkedInBelow: 300,
  syncJobs: 3,
  organizations: 2,
} as const;

const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Tim', 'Hedy', 'Donald', 'Katherine', 'John', 'Shafi', 'Leslie', 'Annie', 'Niklaus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman', 'Berners-Lee', 'Lamarr', 'Knuth', 'Johnson', 'McCarthy', 'Goldwasser', 'Lamport', 'Easley', 'Wirth'];

/** The element of a non-empty list at `i`, counting on from its start again past its end. */
export function cyclic<T>(list: readonly T[], i: number): T {
  const item = list[i % list.length];
  if (item === undefined) throw new Error(`no element ${i} in a list of ${list.length}`);
  return item;
}

/** Display name and email of demo user i. */
export function demoUser(i: number): { id: string; name: string; email: string; roles: string[]; organizationIndex: number | null } {
  const first = cyclic(FIRST, i);
  const last = cyclic(LAST, Math.floor(i / FIRST.length));
  const roles = i === DEMO.adminIndex ? ['admin'] : (DEMO.organizerIndexes as readonly number[]).includes(i) ? ['organizer'] : i >= DEMO.speakerRange[0] && i <= DEMO.speakerRange[1] ? ['speaker', 'attendee'] : ['attendee'];
  return {
    id: demoId('user', i).toHexString(),
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase().replace(/[^a-z]/g, '')}${i}@example.com`,
    roles,
    organizationIndex: i >= 1 && i <= 4 ? (i - 1) % DEMO.organizations : null,
  };
}

/** Which event and attendee a demo registration belongs to, and its status. */
export function demoRegistration(r: number): { id: string; eventIndex: number; userIndex: number; status: 'CONFIRMED' | 'PENDING' | 'CANCELLED'; checkedIn: boolean } {
  const eventIndex = r % DEMO.publishedEvents;
  const userIndex = 45 + (Math.floor(r / DEMO.publishedEvents) % (DEMO.users - 45));
  const status = r % 10 === 9 ? 'CANCELLED' : r % 10 === 8 ? 'PENDING' : 'CONFIRMED';
  return { id: demoId('registration', r).toHexString(), eventIndex, userIndex, status, checkedIn: r < DEMO.checkedInBelow && status === 'CONFIRMED' };
}

/** Ticket price of a demo event in minor units, or null when free. */
export function demoEventPrice(eventIndex: number): { amount: number; currency: string } | null {
  if (eventIndex === 0) return { amount: 4900, currency: 'EUR' };
  if (eventIndex === 1) return { amount: 9900, currency: 'USD' };
  return null;
}

/** Organizer (user index) of demo event e. */
export function demoOrganizer(eventIndex: number): number {
  return cyclic(DEMO.organizerIndexes, eventIndex);
}
