/**
 * Live delivery with the real events subgraph: `checkInCreated` payloads (fields from events,
 * people and payments) reach real graphql-ws subscribers exactly once and in order when the events
 * subgraph is killed and restarted mid-stream, and when two gateways each use their own replica of
 * the events subgraph over Redis while check-ins are written through both.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../localdb/index.js';
import { redisReachable } from '../subgraphs/kit/bus.js';
import type { SubgraphName } from '../platform/config.js';
import { decodeCursor, encodeCursor } from '../subgraphs/kit/live-feed.js';
import type { RunningSubgraph } from '../subgraphs/run.js';
import { eventually } from './harness/subscription-fixtures.js';
import {
  adminToken,
  eventWithPaidRegistrations,
  freePort,
  liveSettings,
  startLiveGateway,
  startSubgraph,
  subscribeLive,
  type LiveGateway,
  type LiveRegistration,
  type LiveStream,
  type LiveSettings,
} from './harness/live.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

const CHECK_INS = `subscription ($eventId: ID!, $after: String) {
  checkInCreated(eventId: $eventId, after: $after) {
    cursor
    checkIn { registration { id attendee { name } payment { status } } }
  }
}`;

type CheckInEvent = { checkInCreated: { cursor: string; checkIn: { registration: { id: string; attendee: { name: string }; payment: { status: string } | null } } } };

const settings: LiveSettings = liveSettings();
let db: LocalDb;
let token: string;
/** people, payments and integrations: one instance each, shared by the tests (events differs per test). */
let others: RunningSubgraph[] = [];
/** Everything a test started, stopped in reverse order after it (and again after the file). */
const cleanups: Array<() => unknown> = [];

async function cleanup(): Promise<void> {
  for (const stop of cleanups.splice(0).reverse()) await stop();
}

function urlsWith(events: RunningSubgraph): Record<SubgraphName, string> {
  const urls = { events: events.server.url } as Record<SubgraphName, string>;
  for (const s of others) urls[s.name] = s.server.url;
  return urls;
}

function subscriber(gw: LiveGateway, eventId: string): LiveStream<CheckInEvent> {
  // `after` the (empty) topic's start: nothing committed before the subscription starts is skipped.
  const stream = subscribeLive<CheckInEvent>(gw.server.wsUrl, token, CHECK_INS, { eventId, after: encodeCursor(`checkins:${eventId}`, 0) });
  cleanups.push(() => stream.client.dispose());
  return stream;
}

async function checkIn(gw: LiveGateway, reg: LiveRegistration): Promise<void> {
  await gw.gql(`mutation ($r: ID) { checkIn(registrationId: $r) { id } }`, { r: reg.id }, token);
}

/** Every registration's event exactly once, in check-in order, with cursors 1, 2, … and fields from three subgraphs. */
function expectExactly(stream: LiveStream<CheckInEvent>, eventId: string, order: LiveRegistration[]): void {
  expect(stream.errors).toEqual([]);
  const events = stream.events.map((e) => e.checkInCreated);
  expect(events.map((e) => decodeCursor(e.cursor, `checkins:${eventId}`))).toEqual(order.map((_, i) => i + 1));
  expect(events.map((e) => e.checkIn.registration)).toEqual(order.map((r) => ({ id: r.id, attendee: { name: r.attendeeName }, payment: { status: r.paymentStatus } })));
}

beforeAll(async () => {
  db = await startLocalDb({ port: 0 });
  token = await adminToken(settings);
  const dbPrefix = `live${randomUUID().slice(0, 8)}`;
  others = await Promise.all(
    (['people', 'payments', 'integrations'] as const).map((name) => startSubgraph(settings, { name, mongoUri: db.uri, dbPrefix, seed: name === 'people' })),
  );
});

afterAll(async () => {
  await cleanup();
  await Promise.all(others.map((s) => s.stop()));
  await db?.stop();
});

describe('live delivery with the real events subgraph', () => {
  it('loses and repeats no event when the events subgraph is killed and restarted mid-stream', async () => {
    try {
      const [N, M] = [6, 6];
      const port = await freePort();
      const dbPrefix = `live${randomUUID().slice(0, 8)}`;
      const startEvents = () => startSubgraph(settings, { name: 'events', mongoUri: db.uri, dbPrefix, port });
      let events = await startEvents();
      cleanups.push(() => events.stop());
      const gw = await startLiveGateway(settings, urlsWith(events), db.uri);
      cleanups.push(() => gw.stop());
      const { eventId, registrations } = await eventWithPaidRegistrations(gw, token, N + M);
      const stream = subscriber(gw, eventId);

      for (const reg of registrations.slice(0, N)) await checkIn(gw, reg);
      // Mid-stream: the first event has arrived, later ones may still be in flight.
      await eventually(() => stream.events.length > 0 || stream.errors.length > 0, 15_000, 'first check-in event');
      await events.stop();
      events = await startEvents();
      expect(new URL(events.server.url).port).toBe(String(port));
      await eventually(() => gw.subscriptions.stats().upstreamResubscribed > 0, 15_000, 'gateway resubscribed to the restarted subgraph');

      for (const reg of registrations.slice(N)) await checkIn(gw, reg);
      await eventually(() => stream.events.length >= N + M || stream.errors.length > 0, 20_000, 'all check-in events');
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
      expectExactly(stream, eventId, registrations);
      expect(gw.subscriptions.stats().sharedSubscriptions).toBe(1);
    } finally {
      await cleanup();
    }
  });

  it('delivers every event exactly once, in order, to subscribers of two gateways over two events replicas and Redis', async (ctx) => {
    if (!(await redisReachable(REDIS_URL))) {
      console.warn(`two-replica test skipped: Redis at ${REDIS_URL} is unreachable`);
      return ctx.skip();
    }
    try {
      const dbPrefix = `live${randomUUID().slice(0, 8)}`;
      const replicas = await Promise.all([0, 1].map(() => startSubgraph(settings, { name: 'events', mongoUri: db.uri, dbPrefix, redisUrl: REDIS_URL })));
      for (const r of replicas) cleanups.push(() => r.stop());
      const gateways: LiveGateway[] = [];
      for (const r of replicas) {
        const gw = await startLiveGateway(settings, urlsWith(r), db.uri);
        cleanups.push(() => gw.stop());
        gateways.push(gw);
      }
      const total = 12;
      // A fresh event: its topic (and so its Redis channel) belongs to this test alone.
      const { eventId, registrations } = await eventWithPaidRegistrations(gateways[0]!, token, total);
      const streams = gateways.flatMap((gw) => [subscriber(gw, eventId), subscriber(gw, eventId)]);
      // Each gateway's shared subscription runs on its own replica before anything is written.
      await eventually(() => gateways.every((g) => g.subscriptions.stats().upstreamOpened > 0), 15_000, 'upstream subscriptions opened');

      for (const [i, reg] of registrations.entries()) await checkIn(gateways[i % 2]!, reg);
      await eventually(() => streams.every((s) => s.events.length >= total || s.errors.length > 0), 20_000, 'every event on every subscriber');
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
      for (const s of streams) expectExactly(s, eventId, registrations);
      for (const g of gateways) expect(g.subscriptions.stats().sharedSubscriptions).toBe(1);
    } finally {
      await cleanup();
    }
  });
});
