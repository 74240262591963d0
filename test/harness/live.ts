/**
 * Pieces of the product started one by one for live-delivery tests: real subgraphs through
 * `runSubgraph` (on fixed ports when they must come back on the same address), gateways with the
 * product's plugins pointed at chosen subgraph URLs, real graphql-ws subscribers and a fresh
 * published event whose registrations each carry a payment.
 */
import { createServer } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { SubgraphName } from '../../platform/config.js';
import { demoUser } from '../../subgraphs/kit/demo.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { createPeers } from '../../subgraphs/kit/peers.js';
import { runSubgraph, type RunningSubgraph, type RunSubgraphOptions } from '../../subgraphs/run.js';
import { loadGatewayConfig, subgraphEnvName, type GatewayConfig } from '../../gateway/config.js';
import { loadAuthConfig, type AuthConfig } from '../../gateway/auth/config.js';
import { issueToken } from '../../gateway/auth/jwt.js';
import { createGatewayPlugins } from '../../gateway/plugins.js';
import { createGateway, type GatewayServer } from '../../gateway/server.js';
import type { SubscriptionsPlugin } from '../../gateway/plugins/subscriptions.js';

const ENV: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', RATE_LIMIT_USER: '100000/100000/100' };

/** Settings shared by every piece of one test file. */
export interface LiveSettings {
  config: GatewayConfig;
  auth: AuthConfig;
  logger: Logger;
  /** URL of the subgraph of each name started last: where subgraphs reach each other for their checks. */
  peerUrls: Partial<Record<SubgraphName, string>>;
}

/** Test settings: silent logs, generous rate limits, the dev secrets. */
export function liveSettings(): LiveSettings {
  const config = loadGatewayConfig(ENV);
  return { config, auth: loadAuthConfig(ENV), logger: createLogger('test', config.logLevel), peerUrls: {} };
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts one real subgraph with the test settings; it reaches its peers at the URLs in `s.peerUrls`. */
export async function startSubgraph(s: LiveSettings, opts: Omit<RunSubgraphOptions, 'internalSecret' | 'logger'>): Promise<RunningSubgraph> {
  const urls = { people: () => s.peerUrls.people, events: () => s.peerUrls.events, payments: () => s.peerUrls.payments, integrations: () => s.peerUrls.integrations };
  const peers = createPeers({ self: opts.name, internalSecret: s.config.internalSecret, urls });
  const running = await runSubgraph({ internalSecret: s.config.internalSecret, logger: s.logger.child({ svc: opts.name }), host: '127.0.0.1', settings: { peers }, ...opts });
  s.peerUrls[opts.name] = running.server.url;
  return running;
}

/** A gateway process: HTTP, its subscriptions counters, an admin caller. */
export interface LiveGateway {
  server: GatewayServer;
  subscriptions: SubscriptionsPlugin;
  /** POSTs one operation as `token`; throws on errors. */
  gql<T = any>(query: string, variables: Record<string, unknown>, token: string): Promise<T>;
  stop(): Promise<void>;
}

/** Starts a gateway with the product's plugins (gateway/plugins.ts) over the given subgraph URLs. */
export async function startLiveGateway(s: LiveSettings, urls: Record<SubgraphName, string>, mongoUri: string): Promise<LiveGateway> {
  const subgraphUrls: Record<string, string> = {};
  for (const [name, url] of Object.entries(urls)) subgraphUrls[subgraphEnvName(name)] = url;
  const config: GatewayConfig = { ...s.config, subgraphUrls };
  const logger = s.logger.child({ svc: 'gateway' });
  const plugins = await createGatewayPlugins({ config, auth: s.auth, logger, mongoUri });
  const subscriptions = plugins.find((e): e is SubscriptionsPlugin => 'stats' in e);
  if (!subscriptions) throw new Error('the gateway plugins carry no subscriptions endpoint');
  const server = await createGateway({ config, logger, extensions: plugins, port: 0, watch: false });
  return {
    server,
    subscriptions,
    async gql(query, variables, token) {
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(`gateway answered ${res.status}: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    stop: () => server.stop(),
  };
}

/** An admin token for the test settings. */
export async function adminToken(s: LiveSettings): Promise<string> {
  const { token } = await issueToken(s.auth.jwt, { sub: demoUser(0).id, scopes: ['admin'], roles: ['admin'] }, 3600);
  return token;
}

/** What one graphql-ws subscriber received. */
export interface LiveStream<T> {
  client: Client;
  events: T[];
  errors: unknown[];
  completed: boolean;
}

/** Subscribes with a real graphql-ws client (no automatic retries: a broken socket shows as an error). */
export function subscribeLive<T>(wsUrl: string, token: string, query: string, variables: Record<string, unknown>): LiveStream<T> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const stream: LiveStream<T> = { client, events: [], errors: [], completed: false };
  client.subscribe<T>({ query, variables }, {
    next: (v) => void (v.errors ? stream.errors.push(v.errors) : stream.events.push(v.data as T)),
    error: (e) => void stream.errors.push(e),
    complete: () => void (stream.completed = true),
  });
  return stream;
}

/** A registration made for a live test: its attendee's name and its payment's status. */
export interface LiveRegistration {
  id: string;
  attendeeName: string;
  paymentStatus: string;
}

/** Creates and publishes an event, registers `count` demo attendees and gives each a payment. */
export async function eventWithPaidRegistrations(gw: LiveGateway, token: string, count: number): Promise<{ eventId: string; registrations: LiveRegistration[] }> {
  const input = { title: `Live resilience ${Date.now()}`, startsAt: '2031-03-10T09:00:00.000Z', endsAt: '2031-03-12T18:00:00.000Z', capacity: count + 10 };
  const { createEvent } = await gw.gql(`mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }`, { input }, token);
  const eventId: string = createEvent.id;
  await gw.gql(`mutation ($id: ID!) { publishEvent(id: $id) { id } }`, { id: eventId }, token);
  const attendees = Array.from({ length: count }, (_, i) => demoUser(100 + i));
  const { registerBatch } = await gw.gql(
    `mutation ($e: ID!, $a: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $a) { index registration { id } error { code message } } }`,
    { e: eventId, a: attendees.map((a) => a.id) },
    token,
  );
  const registrations: LiveRegistration[] = [];
  for (const item of registerBatch as Array<{ index: number; registration: { id: string } | null; error: unknown }>) {
    if (!item.registration) throw new Error(`registration ${item.index} failed: ${JSON.stringify(item.error)}`);
    const attendee = attendees[item.index];
    if (!attendee) throw new Error(`registration ${item.index} answers for no attendee`);
    const { createPayment } = await gw.gql(
      `mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { status } }`,
      { input: { registrationId: item.registration.id, amount: { amount: 2500, currency: 'EUR' }, attendeeId: attendee.id } },
      token,
    );
    registrations.push({ id: item.registration.id, attendeeName: attendee.name, paymentStatus: createPayment.status });
  }
  return { eventId, registrations };
}
