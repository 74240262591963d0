/**
 * One parse per request, through the real gateway over the fixture subgraphs: the gateway parses a
 * text once (before execution when a plugin reads the operation, else when Apollo Server resolves
 * it), Apollo Server runs that very document without parsing it again, and a text seen before is
 * not parsed at all. The gateway's `onParse` hook counts the parses; an Apollo plugin counts Apollo
 * Server's own.
 */
import type { DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type GatewayServer } from './server.js';
import type { GatewayExtension } from './types.js';
import { testConfig } from '../test/harness/gateway-config.js';
import { post, startFixtures, type Fixtures } from '../test/harness/gateway-fixtures.js';

interface Seen {
  /** Texts the gateway parsed. */
  gatewayParses: string[];
  /** Times Apollo Server started parsing a document itself. */
  apolloParses: number;
  /** The document the plugins saw before execution, and the one Apollo Server executed. */
  admitted: DocumentNode[];
  executed: DocumentNode[];
}

/** Records what the gateway parsed and which documents reached the plugins and Apollo Server. */
function observer(seen: Seen, readsOperation: boolean): GatewayExtension {
  return {
    name: 'observer',
    ...(readsOperation
      ? {
          onOperation(admission) {
            if (admission.operation) seen.admitted.push(admission.operation.document);
          },
        }
      : {}),
    apolloPlugins: [
      {
        requestDidStart() {
          return Promise.resolve({
            parsingDidStart() {
              seen.apolloParses++;
              return Promise.resolve();
            },
            didResolveOperation(rc) {
              seen.executed.push(rc.document);
              return Promise.resolve();
            },
          });
        },
      },
    ],
  };
}

const fresh = (): Seen => ({ gatewayParses: [], apolloParses: 0, admitted: [], executed: [] });

describe('the operation is parsed once per request', () => {
  let fx: Fixtures;
  const gateways: GatewayServer[] = [];
  const start = async (seen: Seen, readsOperation: boolean) => {
    const gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph(), watch: false, extensions: [observer(seen, readsOperation)], onParse: (source) => void seen.gatewayParses.push(source) });
    gateways.push(gw);
    return gw;
  };

  beforeAll(async () => {
    fx = await startFixtures();
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    await fx?.stop();
  });

  it('before execution when a plugin reads the operation: Apollo Server runs the same document', async () => {
    const seen = fresh();
    const gw = await start(seen, true);
    const query = '{ product(id: "p1") { name reviews { body } } }';
    const res = await post(gw.url, query);
    expect(res.body).toEqual({ data: { product: { name: 'Product p1', reviews: [{ body: 'Great p1' }] } } });
    expect(seen.gatewayParses).toEqual([query]);
    expect(seen.apolloParses).toBe(0);
    expect(seen.executed).toHaveLength(1);
    expect(seen.executed[0]).toBe(seen.admitted[0]);

    // The same text again is not parsed at all.
    expect((await post(gw.url, query)).status).toBe(200);
    expect(seen.gatewayParses).toEqual([query]);
    expect(seen.apolloParses).toBe(0);
    expect(seen.executed[1]).toBe(seen.executed[0]);
  });

  it('when Apollo Server resolves the text, if no plugin reads the operation first', async () => {
    const seen = fresh();
    const gw = await start(seen, false);
    const query = '{ product(id: "p2") { name } }';
    expect((await post(gw.url, query)).body).toEqual({ data: { product: { name: 'Product p2' } } });
    expect(seen.gatewayParses).toEqual([query]);
    expect(seen.apolloParses).toBe(0);
    expect(seen.admitted).toEqual([]);
  });

  it('leaves a document that does not validate to Apollo Server, which reports its errors', async () => {
    const seen = fresh();
    const gw = await start(seen, true);
    const res = await post(gw.url, '{ product(id: "p1") { colour } }');
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(seen.gatewayParses).toHaveLength(1);
    expect(seen.apolloParses).toBe(1);
    expect(seen.executed).toEqual([]);
  });
});
