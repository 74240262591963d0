/**
 * `useRateLimits` alone in a real gateway over the fixture subgraphs (every caller anonymous, one
 * address): the budget is charged by cost and shown in X-RateLimit-* headers, answers and
 * refusals alike; operations over a limit, batches and documents that do not parse are refused
 * before they run and cost one unit; a metered route costs one unit per call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { loadAuthConfig } from '../auth/config.js';
import { createMemoryRateLimiter } from '../limits/ratelimit.js';
import { createGateway, type GatewayServer } from '../server.js';
import type { GatewayExtension } from '../types.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { post, startFixtures, type Fixtures } from '../../test/harness/gateway-fixtures.js';
import { useRateLimits } from './rate-limits.js';

/** 1 unit a minute (nothing comes back during the test), a burst of 6, 5 at once; `maxAliases` 2. */
const auth = loadAuthConfig({ NODE_ENV: 'test', RATE_LIMIT_ANONYMOUS: '1/6/5', MAX_ALIASES: '2' });

/** `GET /metered`: answers 200 when the rate limits let the call through. */
const meteredRoute: GatewayExtension = {
  name: 'metered',
  httpRoutes: [
    (req, res) => {
      if (req.url !== '/metered') return Promise.resolve(false);
      res.writeHead(200).end('ok');
      return Promise.resolve(true);
    },
  ],
};

describe('useRateLimits', () => {
  let fx: Fixtures;
  let gw: GatewayServer;
  const remaining = (res: { headers: Headers }) => res.headers.get('x-ratelimit-remaining');

  beforeAll(async () => {
    fx = await startFixtures();
    const rateLimits = useRateLimits({ limiter: createMemoryRateLimiter(), tiers: auth.tiers, limits: auth.limits, meteredPaths: ['/metered'] });
    gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph(), watch: false, extensions: [rateLimits, meteredRoute], logger: createLogger('test', 'silent') });
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
  });

  it('charges by cost and refuses what the budget does not hold, with the headers on both', async () => {
    const ok = await post(gw.url, '{ product(id: "p1") { name } }');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('1');
    expect(remaining(ok)).toBe('5');

    const tooMany = await post(gw.url, '{ a: product(id: "1") { name } b: product(id: "2") { name } c: product(id: "3") { name } }');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', target: 'aliases' });
    expect(remaining(tooMany)).toBe('4');

    const broken = await post(gw.url, '{ product(id: "1") {');
    expect(broken.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(remaining(broken)).toBe('3');

    const batch = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: '{ me }' }, { query: '{ me }' }]) });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { errors: Array<{ extensions: { details: string } }> }).errors[0]?.extensions.details).toBe('Send one operation per request');
    expect(remaining(batch)).toBe('2');

    const metered = await fetch(gw.url.replace(/\/graphql$/, '/metered'));
    expect(metered.status).toBe(200);
    expect(remaining(metered)).toBe('1');

    expect(remaining(await post(gw.url, '{ product(id: "p2") { name } }'))).toBe('0');
    const refused = await post(gw.url, '{ product(id: "p3") { name } }');
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(gw.url.replace(/\/graphql$/, '/metered'))).status).toBe(429);
  });
});
