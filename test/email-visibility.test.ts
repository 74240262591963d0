/**
 * Who sees a user's email, through the gateway: the user, the organizers of the events the user
 * holds a non-cancelled registration for (the events subgraph supplies them to the people subgraph
 * via `@requires`), `people:read` holders and admins. Anyone else gets FORBIDDEN at `User.email`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_SCOPES } from '../gateway/shield/scopes.js';
import { demoOrganizer, demoRegistration, demoUser } from '../subgraphs/kit/demo.js';
import { demoId } from '../subgraphs/kit/ids.js';
import { expectSpecError, startE2E, type E2E } from './harness/e2e.js';

const EVENT = (i: number) => demoId('event', i).toHexString();
const USER = (i: number) => demoUser(i).id;
const EMAIL_OF = `query($id: ID!) { user(id: $id) { id name email } }`;

/** A demo attendee whose only event-0 registration is cancelled (they still attend events 1 and 2). */
const CANCELLED_AT_EVENT0 = demoRegistration(9);
/** Users the seed registers for nothing; the tests register them where they need to. */
const ONLY_AT_EVENT1 = 450;
const REGISTERED_THEN_CANCELLED = 451;

let t: E2E;
let organizer0: string;
let organizer1: string;

beforeAll(async () => {
  t = await startE2E();
  const organizerToken = (i: number) => t.token({ sub: USER(i), roles: ['organizer'], scopes: [...ROLE_SCOPES.organizer!] });
  organizer0 = await organizerToken(demoOrganizer(0));
  organizer1 = await organizerToken(demoOrganizer(1));
  await t.admin(`mutation($input: RegisterInput!) { register(input: $input) { id } }`, { input: { eventId: EVENT(1), attendeeId: USER(ONLY_AT_EVENT1) } });
});
afterAll(async () => {
  await t?.stop();
});

const userToken = (i: number, scopes: string[] = [...ROLE_SCOPES.attendee!]) => t.token({ sub: USER(i), roles: ['attendee'], scopes });

/** Reads user `i` as the token's holder and answers the response. */
const readUser = (i: number, token: string) => t.gql(EMAIL_OF, { id: USER(i) }, { token });

/** Asserts the email of user `i` is readable with `token`. */
async function expectVisible(i: number, token: string): Promise<void> {
  const res = await readUser(i, token);
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  expect(res.body.data).toEqual({ user: { id: USER(i), name: demoUser(i).name, email: demoUser(i).email } });
}

/**
 * Asserts FORBIDDEN at `user.email` with nothing of the email in the answer: `email` is `String!`,
 * so its null goes up to the nullable `user`.
 */
async function expectHidden(i: number, token: string): Promise<void> {
  const res = await readUser(i, token);
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual({ user: null });
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0]!.path).toEqual(['user', 'email']);
  expectSpecError(res.body.errors![0], 'FORBIDDEN');
  expect(JSON.stringify(res.body)).not.toContain(demoUser(i).email);
}

describe('User.email through the gateway', () => {
  it('the organizer of an event sees the email of its attendees', async () => {
    expect(demoRegistration(0)).toMatchObject({ eventIndex: 0, status: 'CONFIRMED' });
    await expectVisible(demoRegistration(0).userIndex, organizer0);
  });

  it('the organizer sees every attendee email in a list of their event’s registrations', async () => {
    const d = await t.gql(`query($id: ID!) { event(id: $id) { registrations(first: 50, status: CONFIRMED) { edges { node { attendee { id email } } } } } }`, { id: EVENT(0) }, { token: organizer0 });
    expect(d.body.errors).toBeUndefined();
    const attendees = d.body.data.event.registrations.edges.map((e: any) => e.node.attendee);
    expect(attendees).toHaveLength(50);
    const index = new Map(Array.from({ length: 500 }, (_, i) => [USER(i), i]));
    for (const a of attendees) expect(a.email).toBe(demoUser(index.get(a.id)!).email);
  });

  it('is FORBIDDEN to an organizer for a user registered only for another organizer’s event', async () => {
    await expectHidden(ONLY_AT_EVENT1, organizer0);
    await expectVisible(ONLY_AT_EVENT1, organizer1);
  });

  it('is FORBIDDEN to the organizer when the user’s only registration for their event is cancelled', async () => {
    const u = CANCELLED_AT_EVENT0;
    expect(u).toMatchObject({ eventIndex: 0, status: 'CANCELLED' });
    const regs = await t.admin(`query($id: ID!) { user(id: $id) { registrations(first: 20) { edges { node { status event { id } } } } } }`, { id: USER(u.userIndex) });
    const atEvent0 = regs.user.registrations.edges.map((e: any) => e.node).filter((r: any) => r.event.id === EVENT(0));
    expect(atEvent0.map((r: any) => r.status)).toEqual(['CANCELLED']);
    await expectHidden(u.userIndex, organizer0);
    await expectVisible(u.userIndex, organizer1); // they still attend event 1
  });

  it('stops being visible to the organizer once the registration is cancelled', async () => {
    const i = REGISTERED_THEN_CANCELLED;
    await expectHidden(i, organizer0);
    const d = await t.admin(`mutation($input: RegisterInput!) { register(input: $input) { id } }`, { input: { eventId: EVENT(0), attendeeId: USER(i) } });
    await expectVisible(i, organizer0);
    await t.admin(`mutation($id: ID!) { cancelRegistration(id: $id, reason: "Cannot come") { status } }`, { id: d.register.id });
    await expectHidden(i, organizer0);
  });

  it('the user themself, a people:read holder and an admin see it', async () => {
    const i = ONLY_AT_EVENT1;
    await expectVisible(i, await userToken(i));
    await expectVisible(i, await userToken(300, ['people:read']));
    await expectVisible(i, await t.token({ sub: 'egc_directory', kind: 'partner', clientId: 'egc_directory', scopes: ['people:read'] }));
    await expectVisible(i, t.adminToken);
  });

  it('is FORBIDDEN to an attendee reading someone else, even at the same event', async () => {
    const me = demoRegistration(0);
    const other = demoRegistration(3);
    expect([me.eventIndex, other.eventIndex, me.userIndex === other.userIndex]).toEqual([0, 0, false]);
    await expectHidden(other.userIndex, await userToken(me.userIndex));
  });

  it('keeps the organizer list out of the public API: clients can neither select nor send it', async () => {
    const selected = await t.gql(`query($id: ID!) { user(id: $id) { organizerIdsOfRegisteredEvents } }`, { id: USER(ONLY_AT_EVENT1) }, { token: organizer0 });
    expect(selected.body.data ?? null).toBeNull();
    expect(selected.body.errors![0]!.message).toContain('organizerIdsOfRegisteredEvents');
    const reps = [{ __typename: 'User', id: USER(ONLY_AT_EVENT1), organizerIdsOfRegisteredEvents: [USER(demoOrganizer(0))] }];
    const entities = await t.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }`, { r: reps }, { token: organizer0 });
    expect(entities.body.data ?? null).toBeNull();
    expect(JSON.stringify(entities.body)).not.toContain(demoUser(ONLY_AT_EVENT1).email);
  });
});
