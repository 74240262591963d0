/**
 * `npm run bench:keepalive -- [--clients 20] [--aliases 20] [--waves 6] [--seconds 15] [--idle-ms 1000]`
 *
 * Gateway → subgraph connections under load while subgraph connections expire. Two stock Apollo
 * Server subgraphs (catalog, reviews; Node's http server with its default 5 s keep-alive timeout)
 * behind one gateway (default settings: no batching, 4 s idle timeout). Every operation is a heavy
 * query: `--aliases` products, each with its reviews, so one operation makes 1 + aliases subgraph
 * requests. Prints, per phase: operations, operations with errors, subgraph requests and the TCP
 * connections they used, requests that met an expired connection and were sent again, latency.
 *
 * 1. waves: `--clients` operations at once, then a pause, `--waves` times; the pauses (4.0 to
 *    5.4 s) land the next wave around the subgraphs' 5 s keep-alive expiry.
 * 2. silent expiry: the subgraphs behind a proxy that drops any request arriving on a connection
 *    idle for `--idle-ms` or more (a load balancer or server with a shorter idle timeout than the
 *    gateway's, which it does not announce); `--clients` loops with pauses of 0 to 2×idle-ms for
 *    `--seconds`. Each dropped request is a query the gateway must send again.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gql } from 'graphql-tag';
import { loadGatewayConfig } from '../gateway/config.js';
import { createGateway, type GatewayServer } from '../gateway/server.js';
import { FIXTURE_SECRET, composeFixture } from '../test/harness/gateway-fixtures.js';
import { startKeepAliveProxy, type KeepAliveProxy } from '../test/harness/keepalive-proxy.js';
import { startStockSubgraph, type StockSubgraph } from '../test/harness/stock-subgraph.js';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])`;
const catalogTypeDefs = gql`
  ${LINK}
  type Query {
    product(id: ID!): Product
  }
  type Product @key(fields: "id") {
    id: ID!
    name: String!
    price: Int!
  }
`;
const reviewsTypeDefs = gql`
  ${LINK}
  type Product @key(fields: "id") {
    id: ID!
    reviews: [Review!]
  }
  type Review {
    body: String!
    stars: Int!
  }
`;

interface Tally {
  operations: number;
  failed: number;
  firstError?: string;
  latencies: number[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): string {
  const value = sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return value === undefined ? '-' : value.toFixed(1);
}

async function operate(gatewayUrl: string, aliases: number, round: number, tally: Tally): Promise<void> {
  const fields = Array.from({ length: aliases }, (_, i) => `p${i}: product(id: "${round}-${i}") { name price reviews { body stars } }`);
  const started = performance.now();
  let problem: string | undefined;
  try {
    const res = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ ${fields.join(' ')} }` }) });
    const body = (await res.json()) as { data?: Record<string, { reviews?: unknown[] } | null>; errors?: unknown[] };
    if (res.status !== 200 || body.errors) problem = JSON.stringify(body.errors ?? res.status).slice(0, 300);
    else if (Object.values(body.data ?? {}).some((p) => !p?.reviews?.length)) problem = 'incomplete data';
  } catch (err) {
    problem = String(err);
  }
  tally.latencies.push(performance.now() - started);
  tally.operations++;
  if (problem) {
    tally.failed++;
    tally.firstError ??= problem;
  }
}

async function startSubgraphs(): Promise<{ catalog: StockSubgraph; reviews: StockSubgraph; connections: () => number }> {
  const catalog = await startStockSubgraph({
    typeDefs: catalogTypeDefs,
    resolvers: {
      Query: { product: (_: unknown, { id }: { id: string }) => ({ id, name: `Product ${id}`, price: id.length * 100 }) },
      Product: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `Product ${ref.id}`, price: ref.id.length * 100 }) },
    },
  });
  const reviews = await startStockSubgraph({
    typeDefs: reviewsTypeDefs,
    resolvers: {
      Product: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        reviews: (p: { id: string }) => Array.from({ length: 5 }, (_, i) => ({ body: `Review ${i} of ${p.id}`, stars: 1 + (i % 5) })),
      },
    },
  });
  let connections = 0;
  for (const s of [catalog, reviews]) s.httpServer.on('connection', () => connections++);
  return { catalog, reviews, connections: () => connections };
}

async function gatewayFor(catalogUrl: string, reviewsUrl: string): Promise<GatewayServer> {
  const supergraphSdl = composeFixture([
    { name: 'catalog', typeDefs: catalogTypeDefs, url: catalogUrl },
    { name: 'reviews', typeDefs: reviewsTypeDefs, url: reviewsUrl },
  ]);
  const config = loadGatewayConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', INTERNAL_SECRET: FIXTURE_SECRET, PORT: '0' });
  return createGateway({ config, supergraphSdl, watch: false });
}

function report(title: string, tally: Tally, seconds: number, subgraphRequests: number, connections: number, resent: number | undefined): void {
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const lines = [
    `${title}`,
    `  operations                 ${tally.operations} (${(tally.operations / seconds).toFixed(1)}/s over ${seconds.toFixed(1)} s)`,
    `  operations with errors     ${tally.failed}${tally.firstError ? `  first: ${tally.firstError}` : ''}`,
    `  subgraph requests          ${subgraphRequests} on ${connections} TCP connections`,
    `  expired connections met    ${resent === undefined ? 'not observable here (the gateway closes idle connections first)' : `${resent} requests dropped unanswered and sent again`}`,
    `  latency ms                 p50 ${percentile(sorted, 50)}  p95 ${percentile(sorted, 95)}  p99 ${percentile(sorted, 99)}  max ${percentile(sorted, 100)}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '20' },
      aliases: { type: 'string', default: '20' },
      waves: { type: 'string', default: '6' },
      seconds: { type: 'string', default: '15' },
      'idle-ms': { type: 'string', default: '1000' },
    },
  });
  const clients = Math.max(1, Number(values.clients));
  const aliases = Math.max(1, Number(values.aliases));
  const waves = Math.max(1, Number(values.waves));
  const seconds = Math.max(1, Number(values.seconds));
  const idleMs = Math.max(10, Number(values['idle-ms']));
  process.stdout.write(`node ${process.version}, ${clients} clients, ${aliases} aliases per operation (${aliases + 1} subgraph requests each)\n\n`);

  // 1. Waves landing around the subgraphs' own keep-alive expiry.
  {
    const subgraphs = await startSubgraphs();
    const gateway = await gatewayFor(subgraphs.catalog.url, subgraphs.reviews.url);
    const tally: Tally = { operations: 0, failed: 0, latencies: [] };
    await operate(gateway.url, aliases, -1, { operations: 0, failed: 0, latencies: [] });
    const baseline = { requests: subgraphs.catalog.requests.length + subgraphs.reviews.requests.length, connections: subgraphs.connections() };
    const started = performance.now();
    try {
      for (let w = 0; w < waves; w++) {
        await Promise.all(Array.from({ length: clients }, (_, c) => operate(gateway.url, aliases, w * clients + c, tally)));
        if (w < waves - 1) await sleep(4_000 + ((w * 280) % 1_500));
      }
      const requests = subgraphs.catalog.requests.length + subgraphs.reviews.requests.length - baseline.requests;
      const title = `waves: ${waves} waves of ${clients} operations, pauses 4.0-5.4 s, subgraph keep-alive 5 s (Node's default)`;
      report(title, tally, (performance.now() - started) / 1000, requests, subgraphs.connections() - baseline.connections, undefined);
    } finally {
      await gateway.stop();
      await Promise.all([subgraphs.catalog.stop(), subgraphs.reviews.stop()]);
    }
  }

  // 2. Connections that expire without notice, sooner than the gateway's idle timeout.
  {
    const subgraphs = await startSubgraphs();
    const proxyFor = (s: { url: string }) => startKeepAliveProxy({ target: s.url, expire: { idleMs } });
    const [catalogProxy, reviewsProxy] = await Promise.all([proxyFor(subgraphs.catalog), proxyFor(subgraphs.reviews)]);
    const proxies: KeepAliveProxy[] = [catalogProxy, reviewsProxy];
    const gateway = await gatewayFor(catalogProxy.url, reviewsProxy.url);
    const tally: Tally = { operations: 0, failed: 0, latencies: [] };
    await operate(gateway.url, aliases, -1, { operations: 0, failed: 0, latencies: [] });
    const baseline = {
      requests: subgraphs.catalog.requests.length + subgraphs.reviews.requests.length,
      resent: proxies.reduce((n, p) => n + p.stats.dropped.length, 0),
      connections: proxies.reduce((n, p) => n + p.stats.connections, 0),
    };
    const started = performance.now();
    const until = started + seconds * 1_000;
    try {
      let round = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (performance.now() < until) {
            await operate(gateway.url, aliases, round++, tally);
            await sleep(Math.random() * 2 * idleMs);
          }
        }),
      );
      const requests = subgraphs.catalog.requests.length + subgraphs.reviews.requests.length - baseline.requests;
      const resent = proxies.reduce((n, p) => n + p.stats.dropped.length, 0) - baseline.resent;
      const connections = proxies.reduce((n, p) => n + p.stats.connections, 0) - baseline.connections;
      report(`silent expiry: connections idle ${idleMs} ms or more drop the next request, ${clients} clients pausing 0-${2 * idleMs} ms`, tally, (performance.now() - started) / 1000, requests, connections, resent);
    } finally {
      await gateway.stop();
      await Promise.all(proxies.map((p) => p.stop()));
      await Promise.all([subgraphs.catalog.stop(), subgraphs.reviews.stop()]);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
