/**
 * The demo dataset, described once so each subgraph can seed its own database and the references
 * between subgraphs still meet (ids come from `demoId`). Seeding happens on first start only.
 */
import { demoId } from './ids.js';

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

/** Display name and email of demo user i. */
export function demoUser(i: number): { id: string; name: string; email: string; roles: string[]; organizationIndex: number | null } {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
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
  return DEMO.organizerIndexes[eventIndex % DEMO.organizerIndexes.length];
}
