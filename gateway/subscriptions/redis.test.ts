import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { redisReachable } from '../../subgraphs/kit/bus.js';
import type { SubgraphServer } from '../../subgraphs/kit/server.js';
import { FIXTURE_SECRET, composeFixtures, eventually, fixtureLogger, observe, startCatalog, startFeed, startPeople, type FeedFixture } from '../../test/harness/subscription-fixtures.js';
import { createSubscriptionServer, type SubscriptionServer } from './server.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('two gateways × two replicas of the owning subgraph over Redis', () => {
  let reachable = false;
  let db: LocalDb;
  let replicas: FeedFixture[] = [];
  let others: SubgraphServer[] = [];
  const gateways: { engine: SubscriptionServer; url: string; close: () => Promise<void> }[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    reachable = await redisReachable(REDIS_URL);
    if (!reachable) {
      console.warn(`Redis fan-out test skipped: ${REDIS_URL} is unreachable`);
      return;
    }
    db = await startLocalDb({ port: 0 });
    const dbName = `redis_${randomUUID().slice(0, 8)}`;
    const keyPrefix = `test:${randomUUID()}:`;
    replicas = await Promise.all([0, 1].map(() => startFeed({ mongoUri: db.uri, dbName, redisUrl: REDIS_URL, keyPrefix })));
    others = await Promise.all([startCatalog(), startPeople()]);
    for (const replica of replicas) {
      const supergraph = composeFixtures({ feed: replica.server.url, catalog: others[0]!.url, people: others[1]!.url });
      const engine = createSubscriptionServer({ supergraph, internalSecret: FIXTURE_SECRET, logger: fixtureLogger() });
      const http = createServer();
      const detach = engine.attach(http);
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      gateways.push({
        engine,
        url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
        close: async () => {
          await engine.stop();
          detach();
          await new Promise((r) => http.close(r));
        },
      });
    }
  });

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    for (const g of gateways) await g.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all(others.map((s) => s.stop()));
    await db?.stop();
  });

  it('delivers every event exactly once, in order, to subscribers on both gateways', async (ctx) => {
    if (!reachable) return ctx.skip();
    const ch = `c-${randomUUID().slice(0, 8)}`;
    const observers = gateways.flatMap((g) =>
      Array.from({ length: 3 }, () => {
        const c = createClient({ url: g.url, webSocketImpl: WebSocket, retryAttempts: 0 });
        clients.push(c);
        return observe(c, { channel: ch });
      }),
    );
    // Each gateway's shared subscription lives on its own replica.
    await eventually(() => replicas.every((r) => r.listening(ch) === 1), 10_000, 'both replicas listening');
    const total = 40;
    for (let i = 0; i < total; i++) await replicas[i % 2]!.tick(ch, i);
    await eventually(() => observers.every((o) => o.events.length >= total), 20_000, 'all events on all subscribers');
    await new Promise((r) => setTimeout(r, 300));
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    for (const o of observers) {
      expect(o.seqs()).toEqual(expected);
      expect(o.events.map((e) => e.data?.ticked.tick.n)).toEqual(expected.map((s) => s - 1));
    }
    for (const g of gateways) {
      expect(g.engine.stats().sharedSubscriptions).toBe(1);
      expect(g.engine.stats().planExecutions).toBe(total);
    }
  });
});
