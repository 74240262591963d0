import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPOSED_SUBGRAPHS, CompositionFailed, SCHEMA_DIR, SUPERGRAPH_FILE, composeSupergraph } from '../scripts/compose.js';
import { prepareSupergraph } from './supergraph.js';

describe('the committed supergraph', () => {
  it('is the current composition of schema/{events,people,payments,integrations}.graphql (run `npm run compose`)', () => {
    const committed = readFileSync(join(SCHEMA_DIR, SUPERGRAPH_FILE), 'utf8');
    expect(committed).toBe(composeSupergraph());
  });

  it('is served by the gateway, with the subgraphs on their default ports and scope rules read', () => {
    const prepared = prepareSupergraph(readFileSync(join(SCHEMA_DIR, SUPERGRAPH_FILE), 'utf8'));
    expect(prepared.subgraphs.map((s) => s.name).sort()).toEqual(COMPOSED_SUBGRAPHS.map((s) => s.name).sort());
    expect(prepared.subgraphs.map((s) => s.url).sort()).toEqual(COMPOSED_SUBGRAPHS.map((s) => s.url).sort());
    expect(prepared.rules.size).toBeGreaterThan(0);
  });
});

describe('composeSupergraph', () => {
  const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

  it('reports every composition error with its code and where it comes from', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compose-'));
    try {
      await writeFile(join(dir, 'a.graphql'), `${link}\ntype Query { a: Thing }\ntype Thing @key(fields: "id") { id: ID! name: String }\n`);
      await writeFile(join(dir, 'b.graphql'), `${link}\ntype Query { b: Int }\ntype Thing @key(fields: "id") { id: ID! name: Int }\n`);
      const subgraphs = [
        { name: 'a', url: 'http://127.0.0.1:1/graphql' },
        { name: 'b', url: 'http://127.0.0.1:2/graphql' },
      ];
      let failure: unknown;
      try {
        composeSupergraph(dir, subgraphs);
      } catch (err) {
        failure = err;
      }
      expect(failure).toBeInstanceOf(CompositionFailed);
      const problems = (failure as CompositionFailed).problems;
      expect(problems).toContainEqual(expect.stringMatching(/^\[FIELD_TYPE_MISMATCH\] Type of field "Thing.name".*\(at a.graphql:3, b.graphql:3\)$/));
      await writeFile(join(dir, 'b.graphql'), `${link}\ntype Query { b: Int }\ntype Thing @key(fields: "id") { id: ID! size: Int }\n`);
      const sdl = composeSupergraph(dir, subgraphs);
      expect(sdl).toMatch(/^# Composed by `npm run compose`/);
      expect(prepareSupergraph(sdl).subgraphs).toEqual(subgraphs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names missing and unparseable subgraph files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compose-'));
    try {
      await writeFile(join(dir, 'a.graphql'), 'type Query {');
      const subgraphs = [
        { name: 'a', url: 'http://127.0.0.1:1/graphql' },
        { name: 'b', url: 'http://127.0.0.1:2/graphql' },
      ];
      expect(() => composeSupergraph(dir, subgraphs)).toThrow(/a\.graphql does not parse[\s\S]*b\.graphql is missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
