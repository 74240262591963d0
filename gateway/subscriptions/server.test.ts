import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { GraphQLError, print, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { appError } from '../../platform/errors.js';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import type { SubgraphServer } from '../../subgraphs/kit/server.js';
import { FIXTURE_SECRET, TICKED, composeFixtures, eventually, fixtureLogger, observe, startCatalog, startFeed, startPeople, type FeedFixture } from '../../test/harness/subscription-fixtures.js';
import type { SupergraphInput } from './schema.js';
import { createSubscriptionServer, type SubscriptionServer, type SubscriptionServerOptions } from './server.js';

let db: LocalDb;
let feed: FeedFixture;
let catalog: SubgraphServer;
let people: SubgraphServer;
let supergraph: SupergraphInput;
const dbName = `subs_${randomUUID().slice(0, 8)}`;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  db = await startLocalDb({ port: 0 });
  [feed, catalog, people] = await Promise.all([startFeed({ mongoUri: db.uri, dbName }), startCatalog(), startPeople()]);
  supergraph = composeFixtures({ feed: feed.server.url, catalog: catalog.url, people: people.url });
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await feed.stop();
  await Promise.all([catalog.stop(), people.stop()]);
  await db.stop();
});

interface Gateway {
  engine: SubscriptionServer;
  url: string;
  client(params?: Record<string, unknown>, onClosed?: (code: number, reason: string) => void): Client;
}

/** A plain HTTP server with the subscription endpoint attached (the gateway core's hook does the same). */
async function startGateway(overrides: Partial<SubscriptionServerOptions> = {}): Promise<Gateway> {
  const engine = createSubscriptionServer({ supergraph, internalSecret: FIXTURE_SECRET, logger: fixtureLogger(), backoffMs: { min: 50, max: 500 }, ...overrides });
  const http: Server = createServer((_req, res) => res.end());
  const detach = engine.attach(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
  const clients: Client[] = [];
  cleanups.push(async () => {
    for (const c of clients) await c.dispose();
    await engine.stop();
    detach();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });
  return {
    engine,
    url,
    client(params, onClosed) {
      const c = createClient({
        url,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: params,
        on: { closed: (e) => onClosed?.((e as { code: number }).code, (e as { reason: string }).reason) },
      });
      clients.push(c);
      return c;
    },
  };
}

const channel = () => `c-${randomUUID().slice(0, 8)}`;

describe('federated subscriptions through the gateway endpoint', () => {
  it('delivers one payload with fields from three subgraphs, with the cursor', async () => {
    const gw = await startGateway();
    const ch = channel();
    const o = observe(gw.client(), { channel: ch });
    await eventually(() => feed.listening(ch) === 1);
    await feed.tick(ch, 7, 'i9');
    await o.until((x) => x.events.length === 1);
    const ev = o.events[0]!;
    expect(ev.errors).toBeUndefined();
    expect(ev.data?.ticked.tick).toEqual({ seq: 1, n: 7, viewer: null, item: { id: 'i9', name: 'Item i9', owner: { name: 'Owner o-i9', viewer: null } } });
    expect(ev.extensions).toEqual({ cursor: ev.data?.ticked.cursor });
    o.dispose();
  });

  it('resumes with after: no gap, no duplicate', async () => {
    const gw = await startGateway();
    const ch = channel();
    const first = observe(gw.client(), { channel: ch });
    await eventually(() => feed.listening(ch) === 1);
    for (let i = 1; i <= 3; i++) await feed.tick(ch, i);
    await first.until((x) => x.events.length === 3);
    first.dispose();
    for (let i = 4; i <= 5; i++) await feed.tick(ch, i);
    const resumed = observe(gw.client(), { channel: ch, after: first.events[1]!.data?.ticked.cursor });
    await resumed.until((x) => x.events.length === 3);
    await feed.tick(ch, 6);
    await resumed.until((x) => x.events.length === 4);
    expect(resumed.seqs()).toEqual([3, 4, 5, 6]);
  });

  it('loses nothing when the owning subgraph restarts mid-stream', async () => {
    const gw = await startGateway();
    const ch = channel();
    const o = observe(gw.client(), { channel: ch });
    await eventually(() => feed.listening(ch) === 1);
    await feed.tick(ch, 1);
    await feed.tick(ch, 2);
    await o.until((x) => x.events.length === 2);
    const port = feed.server.port;
    await feed.stop();
    // Written while the subgraph is down (another replica would do this); published after restart.
    const writer = await startFeed({ mongoUri: db.uri, dbName });
    await writer.server.stop();
    await writer.tick(ch, 3);
    await writer.tick(ch, 4);
    feed = await startFeed({ mongoUri: db.uri, dbName, port });
    await writer.stop();
    await feed.tick(ch, 5);
    await o.until((x) => x.events.length === 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(o.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(o.errors).toEqual([]);
    expect(gw.engine.stats().upstreamResubscribed).toBeGreaterThanOrEqual(1);
  });

  it('shares one upstream subscription and one plan execution per event among 1,000 identical subscribers', async () => {
    const gw = await startGateway();
    const ch = channel();
    const before = gw.engine.stats();
    const observers = Array.from({ length: 1000 }, () => observe(gw.client(), { channel: ch }));
    await eventually(() => gw.engine.stats().subscribers === 1000 && feed.listening(ch) === 1, 30_000, '1000 subscribers');
    for (let i = 1; i <= 3; i++) await feed.tick(ch, i);
    await eventually(() => observers.every((o) => o.events.length === 3), 30_000, 'all events delivered');
    const after = gw.engine.stats();
    expect(after.sharedSubscriptions).toBe(1);
    expect(after.upstreamOpened - before.upstreamOpened).toBe(1);
    expect(after.planExecutions - before.planExecutions).toBe(3);
    expect(after.eventsDelivered - before.eventsDelivered).toBe(3000);
    expect(new Set(observers.map((o) => JSON.stringify(o.events.map((e) => e.data))))).toHaveProperty('size', 1);
    for (const o of observers) o.dispose();
    await eventually(() => gw.engine.stats().sharedSubscriptions === 0, 5_000, 'upstream released');
  });

  it('closes a slow consumer with 4429 and the client resumes with after', async () => {
    // Loopback TCP buffers absorb megabytes before the gateway's own buffer grows: make payloads big.
    const bigCatalog = await startCatalog(256 * 1024);
    cleanups.push(() => bigCatalog.stop());
    const big = composeFixtures({ feed: feed.server.url, catalog: bigCatalog.url, people: people.url });
    const gw = await startGateway({ supergraph: big, maxBufferedBytes: 512 * 1024 });
    const ch = channel();
    const sockets: WebSocket[] = [];
    class TrackedSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    let closeCode = 0;
    const slowClient = createClient({ url: gw.url, webSocketImpl: TrackedSocket, retryAttempts: 0, on: { closed: (e) => void (closeCode = (e as { code: number }).code) } });
    cleanups.push(() => slowClient.dispose());
    const withBlob = TICKED.replace('item { id name', 'item { id name blob');
    const slow = observe(slowClient, { channel: ch }, withBlob);
    const fast = observe(gw.client(), { channel: ch }, withBlob);
    await eventually(() => gw.engine.stats().subscribers === 2 && feed.listening(ch) === 1);
    sockets[0]!.pause();
    for (let i = 1; i <= 150 && gw.engine.stats().slowConsumerDisconnects === 0; i++) await feed.tick(ch, i);
    await eventually(() => gw.engine.stats().slowConsumerDisconnects === 1, 20_000, 'slow consumer closed');
    const total = await feed.tick(ch, 999);
    sockets[0]!.resume();
    await eventually(() => closeCode !== 0, 10_000, 'close seen by the client');
    expect(closeCode).toBe(4429);
    await fast.until((x) => x.seqs().at(-1) === total);
    expect(fast.seqs()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const lastSeen = slow.events.at(-1);
    expect(lastSeen).toBeDefined();
    const resumed = observe(gw.client(), { channel: ch, after: lastSeen!.data!.ticked.cursor }, withBlob);
    await resumed.until((x) => x.seqs().at(-1) === total, 20_000);
    expect([...slow.seqs(), ...resumed.seqs()]).toEqual(fast.seqs());
  });

  it('ends subscriptions with SCHEMA_RELOADED on reload; the socket stays open for a resubscribe', async () => {
    const gw = await startGateway();
    const ch = channel();
    let closedBy = 0;
    const client = createClient({ url: gw.url, webSocketImpl: WebSocket, retryAttempts: 0, lazyCloseTimeout: 60_000, on: { closed: (e) => void (closedBy = (e as { code: number }).code) } });
    cleanups.push(() => client.dispose());
    const o = observe(client, { channel: ch });
    await eventually(() => feed.listening(ch) === 1);
    await feed.tick(ch, 1);
    await o.until((x) => x.events.length === 1);
    gw.engine.reload(supergraph);
    await o.until((x) => x.errors.length === 1);
    expect(o.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SCHEMA_RELOADED' }) })]);
    expect(gw.engine.stats().connections).toBe(1);
    expect(closedBy).toBe(0);
    const again = observe(client, { channel: ch, after: o.events[0]!.data?.ticked.cursor });
    await feed.tick(ch, 2);
    await again.until((x) => x.events.length === 1);
    expect(again.seqs()).toEqual([2]);
  });

  it('completes subscriptions on shutdown, then closes the socket with 1001', async () => {
    const gw = await startGateway();
    let code = 0;
    const o = observe(gw.client(undefined, (c) => (code = c)), { channel: channel() });
    await eventually(() => gw.engine.stats().subscribers === 1);
    await gw.engine.stop();
    await o.until((x) => x.completed);
    expect(o.errors).toEqual([]);
    await eventually(() => code !== 0);
    expect(code).toBe(1001);
  });

  it('refuses what is not a valid subscription, with spec-shaped errors', async () => {
    const gw = await startGateway();
    const client = gw.client();
    const codeOf = async (query: string, variables: Record<string, unknown> = {}) => {
      const o = observe(client, variables, query);
      await o.until((x) => x.errors.length > 0);
      return ((o.errors[0] as { extensions: { code: string } }[])[0]!).extensions.code;
    };
    expect(await codeOf('subscription { nope }')).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await codeOf('subscription {')).toBe('GRAPHQL_PARSE_FAILED');
    expect(await codeOf('{ feedVersion }')).toBe('BAD_USER_INPUT');
    expect(await codeOf(TICKED, {})).toBe('BAD_USER_INPUT');
    expect(await codeOf(TICKED, { channel: 'x', after: 'garbage' })).toBe('BAD_USER_INPUT');
  });
});

describe('authentication and rights', () => {
  const users: Record<string, Principal> = {
    alice: { kind: 'user', sub: 'alice', scopes: ['events:read'], roles: [] },
    bob: { kind: 'user', sub: 'bob', scopes: ['events:read'], roles: [] },
  };
  // Both answer promises like the product's; a refusal rejects rather than throwing synchronously.
  const authenticate = (credentials: unknown) =>
    Promise.resolve().then(() => {
      const auth = (credentials as { authorization?: string } | undefined)?.authorization;
      if (!auth) return { principal: ANONYMOUS, expiresAt: null };
      const [, name, ttl] = /^Bearer (\w+)(?::(\d+))?$/.exec(auth) ?? [];
      if (!name || !users[name]) throw appError('UNAUTHENTICATED', 'The credentials are not valid');
      return { principal: users[name], expiresAt: ttl ? Date.now() + Number(ttl) : null };
    });
  const authorize = ({ principal, document }: { principal: Principal; document: DocumentNode }) =>
    Promise.resolve(principal.kind === 'anonymous' && print(document).includes('viewer') ? [new GraphQLError('Authentication is required', { extensions: { code: 'UNAUTHENTICATED' } })] : { document });

  it('carries the caller to every subgraph, keeps callers apart, and refuses what the rules deny', async () => {
    const gw = await startGateway({ authenticate, authorize });
    const ch = channel();
    const alice = observe(gw.client({ authorization: 'Bearer alice' }), { channel: ch });
    const alice2 = observe(gw.client({ authorization: 'Bearer alice' }), { channel: ch });
    const bob = observe(gw.client({ authorization: 'Bearer bob' }), { channel: ch });
    await eventually(() => gw.engine.stats().subscribers === 3 && feed.listening(ch) === 2);
    expect(gw.engine.stats().sharedSubscriptions).toBe(2);
    await feed.tick(ch, 1);
    await Promise.all([alice, alice2, bob].map((o) => o.until((x) => x.events.length === 1)));
    expect(alice.events[0]!.data?.ticked.tick.viewer).toBe('alice');
    expect(alice.events[0]!.data?.ticked.tick.item.owner.viewer).toBe('alice');
    expect(bob.events[0]!.data?.ticked.tick.item.owner.viewer).toBe('bob');

    const anonymous = observe(gw.client(), { channel: ch });
    await anonymous.until((x) => x.errors.length === 1);
    expect(anonymous.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  });

  it('refuses bad credentials and closes a connection whose credentials expire with 4403', async () => {
    const gw = await startGateway({ authenticate });
    let refusedCode = 0;
    const refused = observe(gw.client({ authorization: 'Bearer mallory' }, (c) => (refusedCode = c)), { channel: channel() });
    await eventually(() => refusedCode !== 0);
    expect(refusedCode).toBe(4403);
    expect(refused.events).toEqual([]);

    let expiredCode = 0;
    const o = observe(gw.client({ authorization: 'Bearer alice:300' }, (c) => (expiredCode = c)), { channel: channel() });
    await eventually(() => expiredCode !== 0, 5_000);
    expect(expiredCode).toBe(4403);
    expect(gw.engine.stats().expiredDisconnects).toBe(1);
    expect(o.completed).toBe(false);
  });
});

describe('keep-alive', () => {
  /** A raw graphql-transport-ws connection, acknowledged; `autoPong: false` makes it a peer that never answers pings. */
  async function connect(url: string, autoPong: boolean): Promise<{ socket: WebSocket; pings: () => number; closed: Promise<number> }> {
    const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong });
    let pings = 0;
    socket.on('ping', () => void pings++);
    const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      socket.on('message', (data) => {
        if (JSON.parse((data as Buffer).toString('utf8')).type === 'connection_ack') resolve();
      });
    });
    return { socket, pings: () => pings, closed };
  }

  it('pings every connection each interval and terminates one that stops answering', async () => {
    const gw = await startGateway({ keepAliveMs: 400 });
    const live = await Promise.all(Array.from({ length: 5 }, () => connect(gw.url, true)));
    const silent = await connect(gw.url, false);
    // A silent peer misses one ping and is terminated at its next turn (no close frame: 1006 here).
    expect(await Promise.race([silent.closed, new Promise((r) => setTimeout(() => r('still open'), 3_000))])).toBe(1006);
    await new Promise((r) => setTimeout(r, 900));
    for (const c of live) {
      expect(c.socket.readyState).toBe(WebSocket.OPEN);
      expect(c.pings()).toBeGreaterThanOrEqual(2);
    }
    expect(gw.engine.stats().connections).toBe(5);
    for (const c of live) c.socket.close();
  });
});
