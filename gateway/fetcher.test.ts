/**
 * Subgraph connections that expire: queries on a pooled connection the subgraph closes as the
 * request arrives are answered (sent again on a new connection), mutations are never sent twice,
 * and idle pooled connections are closed by the gateway before a subgraph's keep-alive timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gql } from 'graphql-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../test/harness/gateway-config.js';
import { composeFixture, post } from '../test/harness/gateway-fixtures.js';
import { startKeepAliveProxy, type KeepAliveProxy } from '../test/harness/keepalive-proxy.js';
import { startStockSubgraph, type StockSubgraph } from '../test/harness/stock-subgraph.js';
import { createSubgraphFetcher, isSafeToResend } from './fetcher.js';
import { createGateway, type GatewayServer } from './server.js';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])`;
const counterTypeDefs = gql`
  ${LINK}
  type Query {
    count: Int!
  }
  type Mutation {
    bump: Int!
  }
`;

describe('subgraph connections the subgraph closes as a request arrives', () => {
  let counter: StockSubgraph;
  let proxy: KeepAliveProxy;
  let gateway: GatewayServer;
  const state = { count: 0, bumps: 0 };

  beforeAll(async () => {
    counter = await startStockSubgraph({
      typeDefs: counterTypeDefs,
      resolvers: {
        Query: { count: () => state.count },
        Mutation: {
          bump: () => {
            state.bumps++;
            return ++state.count;
          },
        },
      },
    });
    proxy = await startKeepAliveProxy({ target: counter.url, expire: 'reused' });
    const supergraphSdl = composeFixture([{ name: 'counter', typeDefs: counterTypeDefs, url: proxy.url }]);
    gateway = await createGateway({ config: testConfig(), supergraphSdl, watch: false });
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.stop();
    await counter?.stop();
  });

  it('answers every query: one dropped on a reused connection is sent again on a new one', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await post(gateway.url, '{ count }');
      expect(res.body).toEqual({ data: { count: 0 } });
    }
    // Every other query found the pooled connection expired (FIN and RST alternately).
    expect(proxy.stats.dropped.length).toBeGreaterThanOrEqual(4);
    expect(proxy.stats.dropped.every((d) => d.includes('count'))).toBe(true);
    expect(counter.requests.length).toBe(10);
  });

  it('answers concurrent queries while pooled connections expire', async () => {
    const droppedBefore = proxy.stats.dropped.length;
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(gateway.url, '{ count }')));
      for (const res of answers) expect(res.body).toEqual({ data: { count: 0 } });
    }
    expect(proxy.stats.dropped.length).toBeGreaterThan(droppedBefore);
  });

  it('never sends a mutation again: the caller gets an error and the subgraph ran nothing', async () => {
    // A gateway whose pool holds the one connection of a query, which the mutation reuses.
    const own = await createGateway({ config: testConfig(), supergraphSdl: composeFixture([{ name: 'counter', typeDefs: counterTypeDefs, url: proxy.url }]), watch: false });
    try {
      await mutateOnExpiredConnection(own);
    } finally {
      await own.stop();
    }
  });

  async function mutateOnExpiredConnection(gateway: GatewayServer): Promise<void> {
    expect((await post(gateway.url, '{ count }')).body.errors).toBeUndefined();
    const dropped = proxy.stats.dropped.length;
    const received = counter.requests.length;
    const res = await post(gateway.url, 'mutation { bump }');
    expect(res.body.data).toBeNull();
    const codes = res.body.errors?.map((e) => e.extensions.code) ?? [];
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['INTERNAL_SERVER_ERROR']));
    expect(proxy.stats.dropped.slice(dropped)).toHaveLength(1);
    expect(proxy.stats.dropped.at(-1)).toContain('mutation');
    expect(counter.requests.length).toBe(received);
    expect(state.bumps).toBe(0);
    // On a new connection the mutation goes through, once.
    const again = await post(gateway.url, 'mutation { bump }');
    expect(again.body).toEqual({ data: { bump: 1 } });
    expect(state.bumps).toBe(1);
  }
});

describe('idle pooled connections', () => {
  let server: Server;
  let url: string;
  const opened: number[] = [];
  const closed: Array<() => void> = [];
  let delayMs = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('ok'), delayMs));
    });
    // Far above the client's idle timeout: only the client closes idle connections here.
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      opened.push(socket.remotePort ?? 0);
      socket.on('close', () => closed.shift()?.());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('are closed by the gateway after its idle timeout, and the next call opens a new one', async () => {
    const fetcher = createSubgraphFetcher({ timeoutMs: 5_000, idleTimeoutMs: 100 });
    try {
      const closedByClient = new Promise<void>((resolve) => closed.push(resolve));
      expect(await (await fetcher.fetch(url, { method: 'GET' })).text()).toBe('ok');
      await closedByClient;
      expect(await (await fetcher.fetch(url, { method: 'GET' })).text()).toBe('ok');
      expect(opened).toHaveLength(2);
    } finally {
      fetcher.close();
    }
  });

  it('do not cut a call that takes longer than the idle timeout', async () => {
    const fetcher = createSubgraphFetcher({ timeoutMs: 5_000, idleTimeoutMs: 50 });
    delayMs = 300;
    try {
      const res = await fetcher.fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    } finally {
      delayMs = 0;
      fetcher.close();
    }
  });
});

describe('isSafeToResend', () => {
  const body = (query: string, operationName?: string) => JSON.stringify({ query, operationName, variables: {} });

  it('allows queries, batches of queries and GETs', () => {
    expect(isSafeToResend('POST', body('{ count }'))).toBe(true);
    expect(isSafeToResend('POST', body('query Q($r: [_Any!]!) { _entities(representations: $r) { __typename } }'))).toBe(true);
    expect(isSafeToResend('POST', `[${body('{ a }')},${body('{ b }')}]`)).toBe(true);
    expect(isSafeToResend('GET', undefined)).toBe(true);
  });

  it('refuses mutations, batches holding one, the mutation of a document by name, and unreadable bodies', () => {
    expect(isSafeToResend('POST', body('mutation { bump }'))).toBe(false);
    expect(isSafeToResend('POST', `[${body('{ a }')},${body('mutation { bump }')}]`)).toBe(false);
    expect(isSafeToResend('POST', body('query A { count } mutation B { bump }', 'B'))).toBe(false);
    expect(isSafeToResend('POST', body('query A { count } mutation B { bump }'))).toBe(false);
    expect(isSafeToResend('POST', body('subscription { ticks }'))).toBe(false);
    expect(isSafeToResend('POST', '{"query": "{ count')).toBe(false);
    expect(isSafeToResend('POST', JSON.stringify({ extensions: { persistedQuery: { sha256Hash: 'x' } } }))).toBe(false);
    expect(isSafeToResend('POST', '[]')).toBe(false);
    expect(isSafeToResend('POST', undefined)).toBe(false);
  });
});
