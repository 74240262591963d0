/**
 * The shape of one row of the mutation table, and fixtures created through the gateway (as the
 * admin) for the rows that need something to act on.
 */
import { randomUUID } from 'node:crypto';
import type { SubgraphName } from '../../../platform/config.js';
import { demoUser } from '../../../subgraphs/kit/demo.js';
import type { E2E } from '../../harness/e2e.js';

/** An invalid call: the operation, the input path the error must point at, the document it must leave alone. */
export interface InvalidCall {
  query: string;
  variables?: Record<string, unknown>;
  /** Expected `extensions.target`. */
  target: string;
  /** An existing document the call is about; it must be unchanged afterwards. */
  subject?: { subgraph: SubgraphName; collection: string; id: string };
}

/** One mutation of the composed API: a happy path that asserts its result, and an invalid call. */
export interface MutationCase {
  field: string;
  happy(t: E2E): Promise<void>;
  /** Answers at once where the call needs no data prepared first. */
  invalid(t: E2E): InvalidCall | Promise<InvalidCall>;
}

/** A short unique suffix for names, emails and titles. */
export const uid = (): string => randomUUID().slice(0, 8);

/** Event times far enough ahead that registration stays open. */
export const FUTURE = { startsAt: '2031-03-10T09:00:00.000Z', endsAt: '2031-03-12T18:00:00.000Z' } as const;
/** A session slot inside FUTURE. */
export const SLOT = { startsAt: '2031-03-10T10:00:00.000Z', endsAt: '2031-03-10T11:00:00.000Z' } as const;

/** Demo users who are speakers (seed indexes 5..44) and plain attendees (45..499). */
export const SPEAKER = (k: number) => demoUser(5 + (k % 40));
export const ATTENDEE = (k: number) => demoUser(45 + (k % 455));

/** A new DRAFT event organized by the admin. */
export async function newEvent(t: E2E, input: Record<string, unknown> = {}): Promise<{ id: string; title: string }> {
  const d = await t.admin(`mutation ($input: CreateEventInput!) { createEvent(input: $input) { id title } }`, {
    input: { title: `E2E event ${uid()}`, ...FUTURE, capacity: 100, ...input },
  });
  return d.createEvent;
}

/** A new PUBLISHED event. */
export async function publishedEvent(t: E2E, input: Record<string, unknown> = {}): Promise<{ id: string; title: string }> {
  const ev = await newEvent(t, input);
  await t.admin(`mutation ($id: ID!) { publishEvent(id: $id) { id } }`, { id: ev.id });
  return ev;
}

/** A session of a new event, with one speaker. */
export async function newSession(t: E2E, eventId?: string): Promise<{ id: string; eventId: string }> {
  const ev = eventId ?? (await newEvent(t)).id;
  const d = await t.admin(`mutation ($input: CreateSessionInput!) { createSession(input: $input) { id } }`, {
    input: { eventId: ev, title: `E2E session ${uid()}`, ...SLOT, speakerIds: [SPEAKER(0).id] },
  });
  return { id: d.createSession.id, eventId: ev };
}

/** A PENDING registration of a demo attendee for a new published event (registered by the admin). */
export async function newRegistration(t: E2E, attendee = ATTENDEE(0)): Promise<{ id: string; ticketCode: string; eventId: string }> {
  const ev = await publishedEvent(t);
  const d = await t.admin(`mutation ($input: RegisterInput!) { register(input: $input) { id ticketCode } }`, { input: { eventId: ev.id, attendeeId: attendee.id } });
  return { ...d.register, eventId: ev.id };
}

/** A REQUIRES_PAYMENT payment of 25.00 EUR for a new registration. */
export async function newPayment(t: E2E): Promise<{ id: string; registrationId: string }> {
  const reg = await newRegistration(t);
  const d = await t.admin(`mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { id } }`, {
    input: { registrationId: reg.id, amount: { amount: 2500, currency: 'EUR' }, attendeeId: ATTENDEE(0).id },
  });
  return { id: d.createPayment.id, registrationId: reg.id };
}

/** Moves a payment through PROCESSING (and on to SUCCEEDED when asked). */
export async function advancePayment(t: E2E, id: string, to: 'PROCESSING' | 'SUCCEEDED'): Promise<void> {
  await t.admin(`mutation ($id: ID!) { markPaymentProcessing(id: $id) { id } }`, { id });
  if (to === 'SUCCEEDED') await t.admin(`mutation ($id: ID!) { markPaymentSucceeded(id: $id) { id } }`, { id });
}

/** A new ACTIVE outbound-webhook connector. */
export async function newConnector(t: E2E): Promise<{ id: string }> {
  const d = await t.admin(`mutation ($input: CreateConnectorInput!) { createConnector(input: $input) { id } }`, {
    input: { kind: 'WEBHOOK', name: `E2E connector ${uid()}`, config: { url: 'https://hooks.example.com/e2e', secret: 's3cret' } },
  });
  return d.createConnector;
}

/** A QUEUED sync job of a new connector. */
export async function newSyncJob(t: E2E): Promise<{ id: string; connectorId: string }> {
  const c = await newConnector(t);
  const d = await t.admin(`mutation ($id: ID!) { startSyncJob(connectorId: $id) { id } }`, { id: c.id });
  return { id: d.startSyncJob.id, connectorId: c.id };
}

/** A new webhook subscription. */
export async function newWebhookSubscription(t: E2E): Promise<{ id: string }> {
  const d = await t.admin(`mutation ($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { id } }`, {
    input: { url: 'https://partner.example.com/hooks', events: ['registration.created'] },
  });
  return d.createWebhookSubscription;
}

/** A new attendee user. */
export async function newUser(t: E2E): Promise<{ id: string; email: string }> {
  const d = await t.admin(`mutation ($input: CreateUserInput!) { createUser(input: $input) { id email } }`, { input: { name: 'E2E Person', email: `e2e-${uid()}@example.com` } });
  return d.createUser;
}

/** New partner credentials owned by the admin. */
export async function newApiClient(t: E2E, scopes: string[] = ['events:read']): Promise<{ id: string; apiKey: string }> {
  const d = await t.admin(`mutation ($input: CreateApiClientInput!) { createApiClient(input: $input) { client { id } apiKey } }`, { input: { name: `E2E client ${uid()}`, scopes } });
  return { id: d.createApiClient.client.id, apiKey: d.createApiClient.apiKey };
}
