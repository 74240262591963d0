/**
 * Batching to subgraphs that refuse batches: stock Apollo Server subgraphs (batched HTTP requests
 * off, as by default) behind the gateway with SUBGRAPH_BATCHING on for them. Callers lose no data;
 * after the first refusal the gateway sends the subgraph single requests only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../test/harness/gateway-config.js';
import { PRODUCT_CATALOG_SDL, composeFixture, post, PRODUCT_REVIEWS_SDL } from '../test/harness/gateway-fixtures.js';
import { startStockSubgraph, type StockSubgraph } from '../test/harness/stock-subgraph.js';
import { createGateway, type GatewayServer } from './server.js';

const aliased = (ids: string[]) => `{ ${ids.map((id, i) => `p${i}: product(id: "${id}") { name reviews { body } }`).join(' ')} }`;
const expected = (ids: string[]) => Object.fromEntries(ids.map((id, i) => [`p${i}`, { name: `Product ${id}`, reviews: [{ body: `Great ${id}` }] }]));

describe('batching to a stock Apollo Server subgraph that refuses batches', () => {
  let catalog: StockSubgraph;
  let reviews: StockSubgraph;
  let gateway: GatewayServer;

  beforeAll(async () => {
    catalog = await startStockSubgraph({
      typeDefs: PRODUCT_CATALOG_SDL,
      resolvers: {
        Query: { product: (_: unknown, { id }: { id: string }) => ({ id, name: `Product ${id}` }) },
        Product: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `Product ${ref.id}` }) },
      },
    });
    reviews = await startStockSubgraph({
      typeDefs: PRODUCT_REVIEWS_SDL,
      resolvers: {
        Product: {
          __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
          reviews: (p: { id: string }) => [{ body: `Great ${p.id}` }],
        },
      },
    });
    const supergraphSdl = composeFixture([
      { name: 'catalog', typeDefs: PRODUCT_CATALOG_SDL, url: catalog.url },
      { name: 'reviews', typeDefs: PRODUCT_REVIEWS_SDL, url: reviews.url },
    ]);
    gateway = await createGateway({ config: testConfig({ SUBGRAPH_BATCHING: 'all' }), supergraphSdl, watch: false });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([catalog?.stop(), reviews?.stop()]);
  });

  it('answers completely, without errors, and sends no batch after the first refusal', async () => {
    const first = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    const res = await post(gateway.url, aliased(first));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual(expected(first));
    // One batch, refused by Apollo Server, then each entity fetch on its own.
    const refused = reviews.requests.filter((r) => r.batch);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 400 });
    expect(refused[0]!.answer).toContain('Operation batching disabled');
    expect(reviews.requests.filter((r) => !r.batch).map((r) => r.status)).toEqual(first.map(() => 200));

    for (const round of ['b', 'c', 'd']) {
      const ids = Array.from({ length: 5 }, (_, i) => `${round}${i}`);
      const again = await post(gateway.url, aliased(ids));
      expect(again.body.errors).toBeUndefined();
      expect(again.body.data).toEqual(expected(ids));
    }
    expect(reviews.requests.filter((r) => r.batch)).toHaveLength(1);
    expect(reviews.requests).toHaveLength(1 + first.length + 3 * 5);
    // catalog gets one fetch per operation: never a batch.
    expect(catalog.requests.filter((r) => r.batch)).toHaveLength(0);
    expect(catalog.requests).toHaveLength(4);
  });

  it('answers concurrent operations completely while no batch is sent', async () => {
    const rounds = Array.from({ length: 10 }, (_, r) => Array.from({ length: 4 }, (_, i) => `c${r}-${i}`));
    const answers = await Promise.all(rounds.map((ids) => post(gateway.url, aliased(ids))));
    answers.forEach((res, r) => {
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual(expected(rounds[r]!));
    });
    expect(reviews.requests.filter((r) => r.batch)).toHaveLength(1);
  });
});
