import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badInput } from '../platform/errors.js';
import { readBody } from '../platform/http.js';
import { createLogger } from '../platform/logger.js';
import { startSubgraphServer, type SubgraphServer } from '../subgraphs/kit/server.js';
import type { BaseSubgraphContext } from '../subgraphs/kit/context.js';
import { testConfig } from '../test/harness/gateway-config.js';
import { FIXTURE_SECRET, PRODUCT_CATALOG_SDL, composeFixture, post, PRODUCT_REVIEWS_SDL, type GqlResponse } from '../test/harness/gateway-fixtures.js';
import { batchesTo } from './batching.js';
import { createGateway, type GatewayServer } from './server.js';
import type { GatewayExtension } from './types.js';

/** A canned answer the reviews subgraph gives instead of executing, when set. */
interface Failure {
  status: number;
  body: string;
  /** The requests it answered, as `batch` (a JSON array body) or `single`. */
  hits: Array<'batch' | 'single'>;
}

const cannedFailure = (status: number, body: unknown): Failure => ({ status, body: JSON.stringify(body), hits: [] });

/** Per-subgraph HTTP requests (one context each) and executed operations. */
interface Counts {
  requests: number;
  operations: number;
  /** How many operations each request context served. */
  perContext: number[];
}

const aliased = (ids: string[]) => `{ ${ids.map((id, i) => `p${i}: product(id: "${id}") { name reviews { body } }`).join(' ')} }`;

/** The correlation id of the operations whose batched and unbatched answers are compared. */
const PARITY = { 'x-correlation-id': 'corr-batching-parity' };

/** A response body without the error timestamps, to compare two answers. */
function withoutTimestamps(body: GqlResponse['body']): GqlResponse['body'] {
  return { ...body, ...(body.errors ? { errors: body.errors.map((e) => ({ ...e, extensions: { ...e.extensions, timestamp: undefined } })) } : {}) };
}

describe('subgraph request batching', () => {
  const logger = createLogger('batching-test', 'silent');
  const counts: Record<'catalog' | 'reviews', Counts> = { catalog: { requests: 0, operations: 0, perContext: [] }, reviews: { requests: 0, operations: 0, perContext: [] } };
  let failure: Failure | undefined;
  let catalog: SubgraphServer;
  let reviews: SubgraphServer;
  let batched: GatewayServer;
  let unbatched: GatewayServer;
  let sharded: GatewayServer;
  /** A gateway of its own for the test that makes it stop batching to reviews. */
  let refusing: GatewayServer;

  /** The same operation through the gateway that does not batch, compared without per-request values. */
  const unbatchedBody = async (query: string) => withoutTimestamps((await post(unbatched.url, query, { headers: PARITY })).body);
  const reset = () => {
    for (const c of Object.values(counts)) Object.assign(c, { requests: 0, operations: 0, perContext: [] });
  };
  type Ctx = BaseSubgraphContext & { served: { n: number } };
  const context = (name: 'catalog' | 'reviews') => (base: BaseSubgraphContext): Ctx => {
    const slot = counts[name].perContext.push(0) - 1;
    counts[name].requests++;
    const served = {
      get n() {
        return counts[name].perContext[slot]!;
      },
      set n(v: number) {
        counts[name].perContext[slot] = v;
      },
    };
    return { ...base, served };
  };
  const operationCounter = (name: 'catalog' | 'reviews') => ({
    requestDidStart({ contextValue }: { contextValue: Ctx }) {
      counts[name].operations++;
      contextValue.served.n++;
      return Promise.resolve();
    },
  });

  beforeAll(async () => {
    const catalogSchema = buildSubgraphSchema([
      {
        typeDefs: PRODUCT_CATALOG_SDL,
        resolvers: {
          Query: { product: (_: unknown, { id }: { id: string }) => ({ id, name: `Product ${id}` }) },
          Product: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `Product ${ref.id}` }) },
        } as unknown as GraphQLResolverMap,
      },
    ]);
    const reviewsSchema = buildSubgraphSchema([
      {
        typeDefs: PRODUCT_REVIEWS_SDL,
        resolvers: {
          Product: {
            __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
            reviews: (p: { id: string }) => {
              if (p.id.startsWith('bad')) throw badInput('id', `no reviews for ${p.id}`);
              return [{ body: `Great ${p.id}` }];
            },
          },
        } as unknown as GraphQLResolverMap,
      },
    ]);
    const answerFailure = async (req: IncomingMessage, res: ServerResponse) => {
      if (!failure) return false;
      failure.hits.push((await readBody(req, 1_000_000)).toString().trimStart().startsWith('[') ? 'batch' : 'single');
      res.writeHead(failure.status, { 'content-type': 'application/json' });
      res.end(failure.body);
      return true;
    };
    const common = { logger, internalSecret: FIXTURE_SECRET, exposeErrors: false };
    catalog = await startSubgraphServer<Ctx>({ ...common, name: 'catalog', schema: catalogSchema, buildContext: context('catalog'), plugins: [operationCounter('catalog')] });
    reviews = await startSubgraphServer<Ctx>({ ...common, name: 'reviews', schema: reviewsSchema, buildContext: context('reviews'), plugins: [operationCounter('reviews')], routes: [answerFailure] });
    const supergraphSdl = composeFixture([
      { name: 'catalog', typeDefs: PRODUCT_CATALOG_SDL, url: catalog.url },
      { name: 'reviews', typeDefs: PRODUCT_REVIEWS_SDL, url: reviews.url },
    ]);
    batched = await createGateway({ config: testConfig({ SUBGRAPH_BATCHING: 'all' }), supergraphSdl, watch: false });
    unbatched = await createGateway({ config: testConfig(), supergraphSdl, watch: false });
    refusing = await createGateway({ config: testConfig({ SUBGRAPH_BATCHING: 'catalog,reviews' }), supergraphSdl, watch: false });
    // A hook that gives the calls about product h1 a header of their own.
    const shard: GatewayExtension = {
      name: 'shard',
      willSendSubgraphRequest: ({ headers, body }) => headers.set('x-shard', JSON.stringify(body.variables ?? {}).includes('"h1"') ? 'one' : 'other'),
    };
    sharded = await createGateway({ config: testConfig({ SUBGRAPH_BATCHING: 'reviews' }), supergraphSdl, watch: false, extensions: [shard] });
  });
  afterAll(async () => {
    await batched?.stop();
    await unbatched?.stop();
    await sharded?.stop();
    await refusing?.stop();
    await Promise.all([catalog?.stop(), reviews?.stop()]);
  });

  it('sends the entity fetches of aliased fields to one subgraph as one HTTP request sharing one context', async () => {
    reset();
    const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const res = await post(batched.url, aliased(ids));
    expect(res.body.errors).toBeUndefined();
    ids.forEach((id, i) => expect(res.body.data?.[`p${i}`]).toEqual({ name: `Product ${id}`, reviews: [{ body: `Great ${id}` }] }));
    expect(counts.catalog).toEqual({ requests: 1, operations: 1, perContext: [1] });
    expect(counts.reviews).toEqual({ requests: 1, operations: 12, perContext: [12] });
  });

  it('sends each fetch on its own when batching is off (the default)', async () => {
    reset();
    const ids = ['a', 'b', 'c', 'd'];
    const res = await post(unbatched.url, aliased(ids));
    expect(res.body.data?.p3).toEqual({ name: 'Product d', reviews: [{ body: 'Great d' }] });
    expect(counts.reviews).toEqual({ requests: 4, operations: 4, perContext: [1, 1, 1, 1] });
  });

  it('sends a single fetch as a plain request', async () => {
    reset();
    const res = await post(batched.url, aliased(['solo']));
    expect(res.body.data?.p0).toEqual({ name: 'Product solo', reviews: [{ body: 'Great solo' }] });
    expect(counts.reviews).toEqual({ requests: 1, operations: 1, perContext: [1] });
  });

  it('batches only the calls whose headers are the same', async () => {
    reset();
    const res = await post(sharded.url, aliased(['h1', 'h2', 'h3']));
    expect(res.body.data?.p0).toEqual({ name: 'Product h1', reviews: [{ body: 'Great h1' }] });
    expect(res.body.data?.p2).toEqual({ name: 'Product h3', reviews: [{ body: 'Great h3' }] });
    expect(counts.reviews.requests).toBe(2);
    expect([...counts.reviews.perContext].sort()).toEqual([1, 2]);
  });

  it('puts each operation\'s errors at its own alias', async () => {
    reset();
    const res = await post(batched.url, aliased(['x1', 'bad1', 'x2', 'bad2']), { headers: PARITY });
    expect(counts.reviews.requests).toBe(1);
    expect(res.body.data).toEqual({
      p0: { name: 'Product x1', reviews: [{ body: 'Great x1' }] },
      p1: { name: 'Product bad1', reviews: null },
      p2: { name: 'Product x2', reviews: [{ body: 'Great x2' }] },
      p3: { name: 'Product bad2', reviews: null },
    });
    const errors = res.body.errors ?? [];
    expect(errors.map((e) => [e.path, e.extensions.code, e.extensions.details])).toEqual([
      [['p1', 'reviews'], 'BAD_USER_INPUT', 'no reviews for bad1'],
      [['p3', 'reviews'], 'BAD_USER_INPUT', 'no reviews for bad2'],
    ]);
    expect(await unbatchedBody(aliased(['x1', 'bad1', 'x2', 'bad2']))).toEqual(withoutTimestamps(res.body));
  });

  it('fails every member with the masked error when the subgraph answers the batch with a 5xx', async () => {
    reset();
    failure = cannedFailure(503, { errors: [{ message: 'mongodb://admin:hunter2@db is down' }] });
    try {
      const res = await post(batched.url, aliased(['f1', 'f2', 'f3']), { headers: PARITY });
      // The batch, then each operation on its own, which fail the same way.
      expect(failure.hits).toEqual(['batch', 'single', 'single', 'single']);
      expect(res.body.data).toEqual({ p0: { name: 'Product f1', reviews: null }, p1: { name: 'Product f2', reviews: null }, p2: { name: 'Product f3', reviews: null } });
      const errors = res.body.errors ?? [];
      expect(errors).toHaveLength(3);
      for (const e of errors) expect(e).toMatchObject({ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(errors)).not.toContain('hunter2');
      expect(counts.reviews.requests).toBe(0);
      expect(await unbatchedBody(aliased(['f1', 'f2', 'f3']))).toEqual(withoutTimestamps(res.body));
    } finally {
      failure = undefined;
    }
    // A subgraph that failed single requests too is not taken for one that refuses batches.
    reset();
    const res = await post(batched.url, aliased(['g1', 'g2']));
    expect(res.body.errors).toBeUndefined();
    expect(counts.reviews).toEqual({ requests: 1, operations: 2, perContext: [2] });
  });

  it('fails every member with the coded client error of a 4xx answer, as a single request would', async () => {
    reset();
    failure = cannedFailure(400, { errors: [{ message: 'Variable "$representations" got invalid value at "representations[0]"', extensions: { code: 'BAD_USER_INPUT' } }] });
    try {
      const res = await post(batched.url, aliased(['c1', 'c2']), { headers: PARITY });
      const errors = res.body.errors ?? [];
      expect(errors).toHaveLength(2);
      for (const e of errors) expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'representations[0]' });
      expect(await unbatchedBody(aliased(['c1', 'c2']))).toEqual(withoutTimestamps(res.body));
    } finally {
      failure = undefined;
    }
  });

  it('answers each member on its own when a 4xx batch answer carries one result per operation', async () => {
    reset();
    failure = cannedFailure(400, [{ data: { _entities: [{ reviews: [{ body: 'kept' }] }] } }, { errors: [{ message: 'Variable "$representations" is invalid', extensions: { code: 'BAD_USER_INPUT' } }] }]);
    try {
      const res = await post(batched.url, aliased(['k1', 'k2']));
      expect(failure.hits).toEqual(['batch']);
      expect(res.body.data?.p0).toEqual({ name: 'Product k1', reviews: [{ body: 'kept' }] });
      expect(res.body.errors?.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    } finally {
      failure = undefined;
    }
  });

  it('sends the operations of a 2xx batch answer that cannot be split on their own, and no batch to that subgraph again', async () => {
    const gateway = refusing;
    reset();
    failure = cannedFailure(200, { data: { _entities: [] } });
    try {
      const res = await post(gateway.url, aliased(['m1', 'm2']), { headers: PARITY });
      expect(failure.hits).toEqual(['batch', 'single', 'single']);
      // Each caller has the answer of its own single request: the same as without batching.
      expect(await unbatchedBody(aliased(['m1', 'm2']))).toEqual(withoutTimestamps(res.body));
      failure.hits.length = 0;
      await post(gateway.url, aliased(['m3', 'm4', 'm5']));
      expect(failure.hits).toEqual(['single', 'single', 'single']);
    } finally {
      failure = undefined;
    }
    reset();
    const res = await post(gateway.url, aliased(['n1', 'n2', 'n3']));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.p2).toEqual({ name: 'Product n3', reviews: [{ body: 'Great n3' }] });
    expect(counts.reviews).toEqual({ requests: 3, operations: 3, perContext: [1, 1, 1] });
  });

});

describe('batchesTo', () => {
  it('reads off, all and subgraph names (in their environment form)', () => {
    expect(batchesTo(undefined, 'events')).toBe(false);
    expect(batchesTo('off', 'events')).toBe(false);
    expect(batchesTo('all', 'events')).toBe(true);
    expect(batchesTo(['events', 'People'], 'people')).toBe(true);
    expect(batchesTo(['billing-v2'], 'billing_v2')).toBe(true);
    expect(batchesTo(['events'], 'payments')).toBe(false);
  });
});
