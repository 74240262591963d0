/**
 * `useSafelist` alone in a real gateway over the fixture subgraphs: listed operations run, by
 * their text (as listed or reformatted) and by their id (the listed text is what runs); anything
 * else is refused with PERSISTED_QUERY_NOT_ALLOWED before any subgraph is called.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { createSafelist } from '../limits/safelist.js';
import { createGateway, type GatewayServer } from '../server.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { post, startFixtures, type Fixtures } from '../../test/harness/gateway-fixtures.js';
import { useSafelist } from './safelist.js';

const LISTED = 'query ProductName($id: ID!) { product(id: $id) { name } }';

describe('useSafelist', () => {
  let fx: Fixtures;
  let gw: GatewayServer;
  const send = (body: Record<string, unknown>) =>
    fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (res) => ({ status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ extensions: Record<string, unknown> }> } }));

  beforeAll(async () => {
    fx = await startFixtures();
    const safelist = createSafelist({ operations: [{ id: 'web-product-name', name: 'ProductName', type: 'query', body: LISTED }] });
    gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph(), watch: false, extensions: [useSafelist({ safelist })], logger: createLogger('test', 'silent') });
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
  });

  it('runs a listed operation by its text, reformatted, and by its id', async () => {
    const expected = { data: { product: { name: 'Product p1' } } };
    expect((await post(gw.url, LISTED, { variables: { id: 'p1' } })).body).toEqual(expected);
    expect((await post(gw.url, 'query ProductName($id: ID!) {\n  product(id: $id) {\n    name\n  }\n}', { variables: { id: 'p1' } })).body).toEqual(expected);
    expect((await send({ documentId: 'web-product-name', variables: { id: 'p1' } })).body).toEqual(expected);
  });

  it('refuses an unlisted operation and an unknown id before anything runs', async () => {
    fx.seen.length = 0;
    const unlisted = await post(gw.url, '{ product(id: "p1") { name } secret }');
    expect(unlisted.status).toBe(400);
    expect(unlisted.body.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    const unknown = await send({ documentId: 'web-something-else' });
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: 'PERSISTED_QUERY_NOT_ALLOWED', details: "No listed operation has the id 'web-something-else'" });
    expect(fx.seen).toEqual([]);
  });
});
