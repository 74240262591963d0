import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type GatewayServer } from './server.js';
import type { PreparedSupergraph } from './supergraph.js';
import { testConfig } from '../test/harness/gateway-config.js';
import { gate, post, startFixtures, type Fixtures, type Gate } from '../test/harness/gateway-fixtures.js';

describe('supergraph reload', () => {
  let fx: Fixtures;
  let gw: GatewayServer;
  let dir: string;
  let file: string;
  const changes: Array<{ schema: GraphQLSchema; prepared: PreparedSupergraph }> = [];
  let changed: Gate = gate();

  beforeAll(async () => {
    fx = await startFixtures();
    dir = await mkdtemp(join(tmpdir(), 'gw-reload-'));
    file = join(dir, 'supergraph.graphql');
    await writeFile(file, fx.supergraph(1));
    gw = await createGateway({
      config: testConfig(),
      supergraphPath: file,
      reloadDebounceMs: 50,
      extensions: [
        {
          name: 'schema-watcher',
          onSchemaChange(schema, prepared) {
            changes.push({ schema, prepared });
            changed.open();
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('switches to a changed file while an in-flight request completes on the old schema', async () => {
    expect(changes).toHaveLength(1);
    changed = gate();
    const before = await post(gw.url, '{ product(id: "p1") { reviews { stars } } }');
    expect(before.body.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const inFlight = post(gw.url, '{ slow product(id: "p1") { reviews { body } } }');
    await fx.slowStarted.promise;

    // Written the way deploy tools do it: a new file renamed over the old one.
    await writeFile(`${file}.tmp`, fx.supergraph(2));
    await rename(`${file}.tmp`, file);
    await changed.promise;
    expect(changes).toHaveLength(2);
    expect(changes[1]!.schema.getType('Review')?.toString()).toBe('Review');
    expect(Object.keys((changes[1]!.schema.getType('Review') as { getFields(): object }).getFields())).toEqual(['body', 'stars']);
    expect(changes[1]!.prepared.hash).not.toBe(changes[0]!.prepared.hash);

    const after = await post(gw.url, '{ product(id: "p1") { reviews { body stars } } }');
    expect(after.body).toEqual({ data: { product: { reviews: [{ body: 'Great p1', stars: 5 }] } } });

    fx.slowGate.open();
    expect((await inFlight).body).toEqual({ data: { slow: 'finally', product: { reviews: [{ body: 'Great p1' }] } } });
  });

  it('keeps the current schema when the file is broken or not a supergraph', async () => {
    const hash = gw.getState().prepared.hash;
    await writeFile(file, 'type Query { oops');
    const broken = await gw.reload();
    expect(broken).toMatchObject({ kind: 'rejected', error: expect.stringContaining('does not parse') });

    await writeFile(file, 'type Query { plain: String }');
    const notSupergraph = await gw.reload();
    expect(notSupergraph).toMatchObject({ kind: 'rejected', error: expect.stringContaining('not a supergraph') });

    expect(gw.getState().prepared.hash).toBe(hash);
    const still = await post(gw.url, '{ product(id: "p2") { name reviews { stars } } }');
    expect(still.body).toEqual({ data: { product: { name: 'Product p2', reviews: [{ stars: 5 }] } } });
  });

  it('ignores a rewrite with the same content', async () => {
    await writeFile(file, fx.supergraph(2));
    const outcome = await gw.reload();
    expect(outcome).toEqual({ kind: 'unchanged', hash: gw.getState().prepared.hash });
  });
});
