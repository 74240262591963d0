/**
 * Three small subgraphs for the subscription engine's tests and benchmark, independent of the
 * product's domain. `feed` owns `Subscription.ticked`, backed by a real outbox on localdb through
 * the kit's relay, bus and live feed; `catalog` adds items (with an adjustable `blob` to make
 * payloads large); `people` adds the item's owner and echoes the principal it was called with.
 * A tick therefore reaches a client with fields from all three subgraphs.
 */
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { gql } from 'graphql-tag';
import type { DocumentNode, FormattedExecutionResult, GraphQLSchema } from 'graphql';
import type { Client } from 'graphql-ws';
import type { Connection } from 'mongoose';
import type { BaseSubgraphContext } from '../../subgraphs/kit/context.js';
import { openConnection } from '../../subgraphs/kit/db.js';
import type { LiveRecord } from '../../subgraphs/kit/live.js';
import { createSubgraphLive, type SubgraphLive } from '../../subgraphs/kit/live-feed.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { inTransaction, recordEvents } from '../../subgraphs/kit/outbox.js';
import { startSubgraphServer, type SubgraphServer } from '../../subgraphs/kit/server.js';
import { prepareSupergraph } from '../../gateway/supergraph.js';
import type { SupergraphInput } from '../../gateway/subscriptions/schema.js';

export const FIXTURE_SECRET = 'subscriptions-fixture-secret-0123456789';
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

const feedTypeDefs = gql`
  ${LINK}
  type Query { feedVersion: Int! }
  type Mutation { "Writes one tick (outbox included); returns its seq." tick(channel: ID!, n: Int!, itemId: ID): Int! }
  type Subscription { ticked(channel: ID!, after: String): TickEvent! }
  type TickEvent { cursor: String! tick: Tick! }
  type Tick { seq: Int! n: Int! item: Item! "Subject of the principal the subscription was opened with." viewer: String }
  type Item @key(fields: "id", resolvable: false) { id: ID! }
`;
const catalogTypeDefs = gql`
  ${LINK}
  type Query { item(id: ID!): Item }
  type Item @key(fields: "id") { id: ID! name: String! blob: String! owner: Owner! }
  type Owner @key(fields: "id", resolvable: false) { id: ID! }
`;
const peopleTypeDefs = gql`
  ${LINK}
  type Query { owner(id: ID!): Owner }
  type Owner @key(fields: "id") { id: ID! name: String! "Subject of the principal this fetch carried." viewer: String }
`;

export const fixtureLogger = (): Logger => createLogger('fixture', 'silent');

async function serve(name: string, schema: GraphQLSchema, port = 0): Promise<SubgraphServer> {
  return startSubgraphServer({ name, schema, buildContext: (base: BaseSubgraphContext) => base, logger: fixtureLogger(), internalSecret: FIXTURE_SECRET, port });
}

type Resolvers = Parameters<typeof buildSubgraphSchema>[0] extends infer T ? (T extends { resolvers?: infer R } ? R : never) : never;
const schemaOf = (typeDefs: DocumentNode, resolvers: Record<string, unknown>) => buildSubgraphSchema({ typeDefs, resolvers: resolvers as Resolvers });

export interface FeedFixture {
  server: SubgraphServer;
  /** Live subscriptions on a channel whose starting point is fixed (later ticks reach them). */
  listening(channel: string): number;
  /** Writes one tick in a transaction (outbox included); resolves with its seq. */
  tick(channel: string, n: number, itemId?: string): Promise<number>;
  /** Stops serving and the live feed (the database stays). */
  stop(): Promise<void>;
}

export interface FeedOptions {
  mongoUri: string;
  dbName: string;
  port?: number;
  redisUrl?: string;
  keyPrefix?: string;
}

/** Starts the `feed` subgraph over its own connection, relay, bus and live feed. */
export async function startFeed(opts: FeedOptions): Promise<FeedFixture> {
  const conn: Connection = await openConnection(opts.mongoUri, opts.dbName);
  const live: SubgraphLive = createSubgraphLive({ conn, redisUrl: opts.redisUrl, keyPrefix: opts.keyPrefix, pollIntervalMs: 100 });
  const tick = async (channel: string, n: number, itemId = 'i1') => {
    const recs = await inTransaction(conn, (s) => recordEvents(conn, s, [{ topic: `ticks:${channel}`, type: 'tick', payload: { n, itemId } }]));
    if (!recs[0]) throw new Error('recordEvents returned no record');
    return recs[0].seq;
  };
  const schema = schemaOf(feedTypeDefs, {
    Query: { feedVersion: () => 1 },
    Mutation: { tick: (_: unknown, a: { channel: string; n: number; itemId?: string | null }) => tick(a.channel, a.n, a.itemId ?? undefined) },
    Subscription: {
      ticked: {
        subscribe: (_: unknown, args: { channel: string; after?: string | null }) => live.live.subscribe(`ticks:${args.channel}`, args.after),
        resolve: (rec: LiveRecord, _args: unknown, ctx: BaseSubgraphContext) => ({
          cursor: rec.cursor,
          tick: { seq: rec.seq, n: rec.payload.n, item: { id: rec.payload.itemId }, viewer: ctx.principal.sub },
        }),
      },
    },
  });
  const server = await serve('feed', schema, opts.port);
  let stopping: Promise<void> | undefined;
  return {
    server,
    listening: (channel) => live.live.listening(`ticks:${channel}`),
    tick,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await live.stop();
        await conn.close();
      })();
      return stopping;
    },
  };
}

/** Starts `catalog`: items named after their id, owned by `o-<id>`, with a `blob` of `blobBytes` characters. */
export function startCatalog(blobBytes = 16): Promise<SubgraphServer> {
  const blob = 'x'.repeat(blobBytes);
  const item = (id: string) => ({ id, name: `Item ${id}`, blob, owner: { id: `o-${id}` } });
  return serve('catalog', schemaOf(catalogTypeDefs, { Query: { item: (_: unknown, a: { id: string }) => item(a.id) }, Item: { __resolveReference: (r: { id: string }) => item(r.id) } }));
}

/** Starts `people`: owners named after their id; `viewer` is the caller the gateway signed. */
export function startPeople(): Promise<SubgraphServer> {
  const owner = (id: string, ctx: BaseSubgraphContext) => ({ id, name: `Owner ${id}`, viewer: ctx.principal.sub });
  return serve(
    'people',
    schemaOf(peopleTypeDefs, {
      Query: { owner: (_: unknown, a: { id: string }, ctx: BaseSubgraphContext) => owner(a.id, ctx) },
      Owner: { __resolveReference: (r: { id: string }, ctx: BaseSubgraphContext) => owner(r.id, ctx) },
    }),
  );
}

export interface FixtureUrls {
  feed: string;
  catalog: string;
  people: string;
}

/** The composed supergraph of the fixtures, as a gateway is given it. */
export function composeFixtureSupergraph(urls: FixtureUrls): string {
  const composed = composeServices([
    { name: 'feed', typeDefs: feedTypeDefs, url: urls.feed },
    { name: 'catalog', typeDefs: catalogTypeDefs, url: urls.catalog },
    { name: 'people', typeDefs: peopleTypeDefs, url: urls.people },
  ]);
  if (!composed.supergraphSdl) throw new Error(`fixtures do not compose: ${composed.errors?.map((e) => e.message).join('; ')}`);
  return composed.supergraphSdl;
}

/** Composes the fixtures and prepares the supergraph as the gateway does. */
export function composeFixtures(urls: FixtureUrls): SupergraphInput {
  const prepared = prepareSupergraph(composeFixtureSupergraph(urls));
  return { gatewaySdl: prepared.gatewaySdl, subgraphs: prepared.subgraphs };
}

/** The subscription the tests use: fields from feed, catalog and people in one payload. */
export const TICKED = /* GraphQL */ `
  subscription Ticked($channel: ID!, $after: String) {
    ticked(channel: $channel, after: $after) {
      cursor
      tick { seq n viewer item { id name owner { name viewer } } }
    }
  }
`;

/** The data of one TICKED event. */
export interface TickedData {
  ticked: { cursor: string; tick: { seq: number; n: number; viewer: string | null; item: { id: string; name: string; owner: { name: string; viewer: string | null } } } };
}

/** One client subscription's observations, for assertions. */
export interface Observed {
  events: FormattedExecutionResult<TickedData, unknown>[];
  errors: unknown[];
  completed: boolean;
  /** Seqs of the events received, in order. */
  seqs(): number[];
  /** Waits until `pred` holds (polling), or throws after `ms`. */
  until(pred: (o: Observed) => boolean, ms?: number): Promise<void>;
  dispose(): void;
}

/** Subscribes `client` to TICKED (or `query`) and records what arrives. */
export function observe(client: Client, variables: Record<string, unknown>, query = TICKED): Observed {
  const o: Observed = {
    events: [],
    errors: [],
    completed: false,
    seqs: () => o.events.map((e) => e.data?.ticked.tick.seq ?? -1),
    async until(pred, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!pred(o)) {
        if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms; seqs ${JSON.stringify(o.seqs())}, errors ${JSON.stringify(o.errors)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    dispose: () => undefined,
  };
  o.dispose = client.subscribe<TickedData, unknown>(
    { query, variables },
    {
      next: (v) => void o.events.push(v),
      error: (e) => void o.errors.push(e),
      complete: () => void (o.completed = true),
    },
  );
  return o;
}

/** Waits until `pred` is true (polling every 10 ms), or throws after `ms`. */
export async function eventually(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
