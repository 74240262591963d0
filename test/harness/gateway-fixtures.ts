/**
 * Two small subgraphs, independent of the product's domain, for the gateway's tests: `catalog`
 * (products, a scoped and an authenticated field, coded and uncoded failures, a slow field held by
 * the test) and `reviews` (adds reviews to products). They run on the kit's subgraph server on
 * port 0 and record the correlation id and verified principal of every operation they serve.
 */
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { gql } from 'graphql-tag';
import type { DocumentNode } from 'graphql';
import { badInput } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import { startSubgraphServer, type SubgraphServer } from '../../subgraphs/kit/server.js';
import type { BaseSubgraphContext } from '../../subgraphs/kit/context.js';

export const FIXTURE_SECRET = 'fixture-internal-secret-0123456789abcdef';

const PRODUCT_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])`;
/** A two-subgraph product graph for gateway tests: the catalog owns `Product.name`. */
export const PRODUCT_CATALOG_SDL = gql`
  ${PRODUCT_LINK}
  type Query {
    product(id: ID!): Product
  }
  type Product @key(fields: "id") {
    id: ID!
    name: String!
  }
`;
/** The reviews subgraph of that graph: it adds `Product.reviews`. */
export const PRODUCT_REVIEWS_SDL = gql`
  ${PRODUCT_LINK}
  type Product @key(fields: "id") {
    id: ID!
    reviews: [Review!]
  }
  type Review {
    body: String!
  }
`;

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes"])`;

const catalogTypeDefs = gql`
  ${LINK}
  type Query {
    product(id: ID!): Product
    whoami: Whoami!
    "Internal figures."
    secret: String @requiresScopes(scopes: [["catalog:admin"], ["admin"]])
    me: String @authenticated
    failBadInput(quantity: Int!): String
    boom: String
    slow: String
  }
  type Product @key(fields: "id") {
    id: ID!
    name: String!
  }
  type Whoami {
    correlationId: String!
    kind: String!
    sub: String
    scopes: [String!]!
  }
`;

/** `reviews` as first composed: without `Review.stars`. */
const reviewsV1 = `
  ${LINK}
  type Product @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }
  type Review {
    body: String!
  }
`;
/** `reviews` after the change a reload test rolls out: adds `Review.stars` (the server has it already). */
const reviewsV2 = reviewsV1.replace('body: String!', 'body: String!\n    stars: Int!');

/** A one-shot signal the test controls. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export interface Seen {
  subgraph: string;
  correlationId: string;
  principal: Principal;
}

export interface Fixtures {
  catalog: SubgraphServer;
  reviews: SubgraphServer;
  /** Operations the subgraphs served, in order. */
  seen: Seen[];
  /** `slow` waits for `slowGate.open()`; `slowStarted` opens when it begins waiting. */
  slowGate: Gate;
  slowStarted: Gate;
  /** Composes the two subgraphs at their live URLs (version 2 adds `Review.stars`). */
  supergraph(version?: 1 | 2): string;
  stop(): Promise<void>;
}

/** Composes subgraph SDLs into a supergraph, failing with the composition errors. */
export function composeFixture(services: Array<{ name: string; typeDefs: DocumentNode; url: string }>): string {
  const result = composeServices(services);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/** Starts both fixture subgraphs on free ports. */
export async function startFixtures(): Promise<Fixtures> {
  const logger = createLogger('fixture', 'silent');
  const seen: Seen[] = [];
  const slowGate = gate();
  const slowStarted = gate();
  const record = (subgraph: string) => (base: BaseSubgraphContext) => {
    seen.push({ subgraph, correlationId: base.correlationId, principal: base.principal });
    return base;
  };

  const catalogResolvers = {
    Query: {
      product: (_: unknown, { id }: { id: string }) => ({ id, name: `Product ${id}` }),
      whoami: (_: unknown, __: unknown, ctx: BaseSubgraphContext) => ({ correlationId: ctx.correlationId, kind: ctx.principal.kind, sub: ctx.principal.sub, scopes: ctx.principal.scopes }),
      secret: () => '42',
      me: (_: unknown, __: unknown, ctx: BaseSubgraphContext) => ctx.principal.sub,
      failBadInput: (_: unknown, { quantity }: { quantity: number }) => {
        throw badInput('quantity', `quantity must be positive, got ${quantity}`);
      },
      boom: () => {
        throw new Error('connection string mongodb://admin:hunter2@db');
      },
      slow: async () => {
        slowStarted.open();
        await slowGate.promise;
        return 'finally';
      },
    },
    Product: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `Product ${ref.id}` }) },
  };
  const catalogSchema = buildSubgraphSchema([{ typeDefs: catalogTypeDefs, resolvers: catalogResolvers as unknown as GraphQLResolverMap }]);
  const reviewsResolvers = {
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      reviews: (p: { id: string }) => [{ body: `Great ${p.id}`, stars: 5 }],
    },
  };
  const reviewsSchema = buildSubgraphSchema([{ typeDefs: gql(reviewsV2), resolvers: reviewsResolvers as unknown as GraphQLResolverMap }]);

  const common = { logger, internalSecret: FIXTURE_SECRET, exposeErrors: true };
  const catalog = await startSubgraphServer({ ...common, name: 'catalog', schema: catalogSchema, buildContext: record('catalog') });
  const reviews = await startSubgraphServer({ ...common, name: 'reviews', schema: reviewsSchema, buildContext: record('reviews') });

  return {
    catalog,
    reviews,
    seen,
    slowGate,
    slowStarted,
    supergraph: (version = 1) =>
      composeFixture([
        { name: 'catalog', typeDefs: catalogTypeDefs, url: catalog.url },
        { name: 'reviews', typeDefs: gql(version === 1 ? reviewsV1 : reviewsV2), url: reviews.url },
      ]),
    async stop() {
      slowGate.open();
      await Promise.all([catalog.stop(), reviews.stop()]);
    },
  };
}

/** A GraphQL response as the tests read it. */
export interface GqlResponse {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions: Record<string, any> }> };
}

/** POSTs an operation to the gateway over real HTTP. */
export async function post(url: string, query: string, opts: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {}): Promise<GqlResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify({ query, variables: opts.variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResponse['body'] };
}
