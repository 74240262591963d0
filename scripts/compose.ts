/**
 * `npm run compose`: composes `schema/{events,people,payments,integrations}.graphql` into
 * `schema/supergraph.graphql` with @apollo/composition. Subgraph URLs are the default local ports
 * (http://127.0.0.1:4001..4004/graphql); a deployment overrides them at the gateway with
 * SUBGRAPH_URL_<NAME>. On failure the composition errors are printed and nothing is written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { composeServices } from '@apollo/composition';
import { GraphQLError, Source, parse, type DocumentNode } from 'graphql';
import { DEFAULT_PORTS, SUBGRAPH_NAMES } from '../platform/config.js';

export const SCHEMA_DIR = fileURLToPath(new URL('../schema', import.meta.url));
export const SUPERGRAPH_FILE = 'supergraph.graphql';
const HEADER = '# Composed by `npm run compose` from schema/{events,people,payments,integrations}.graphql. Do not edit.\n\n';

/** The subgraphs composed, with their default URLs. */
export const COMPOSED_SUBGRAPHS = SUBGRAPH_NAMES.map((name) => ({ name, url: `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql` }));

/** Composition failed; `problems` holds one readable line per error. */
export class CompositionFailed extends Error {
  constructor(readonly problems: string[]) {
    super(`composition failed with ${problems.length} error(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function describeError(err: GraphQLError): string {
  const code = typeof err.extensions?.code === 'string' ? `[${err.extensions.code}] ` : '';
  const where = (err.nodes ?? [])
    .map((n) => (n.loc ? `${n.loc.source.name}:${n.loc.source.locationOffset.line + lineOf(n.loc.source.body, n.loc.start) - 1}` : undefined))
    .filter((w): w is string => w !== undefined);
  return `${code}${err.message}${where.length ? ` (at ${[...new Set(where)].join(', ')})` : ''}`;
}

function lineOf(body: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < body.length; i++) if (body.charCodeAt(i) === 10) line++;
  return line;
}

function readSubgraph(dir: string, name: string): DocumentNode | string {
  const file = join(dir, `${name}.graphql`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return `${file} is missing`;
  }
  try {
    return parse(new Source(text, `${name}.graphql`));
  } catch (err) {
    return `${name}.graphql does not parse: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Composes the subgraph SDLs found in `dir` into supergraph text (the exact content of
 * `schema/supergraph.graphql`). Throws CompositionFailed with every composition error.
 */
export function composeSupergraph(dir: string = SCHEMA_DIR, subgraphs: ReadonlyArray<{ name: string; url: string }> = COMPOSED_SUBGRAPHS): string {
  const read = subgraphs.map((s) => ({ ...s, typeDefs: readSubgraph(dir, s.name) }));
  const unreadable = read.flatMap((s) => (typeof s.typeDefs === 'string' ? [s.typeDefs] : []));
  if (unreadable.length) throw new CompositionFailed(unreadable);
  const services = read.map((s) => ({ name: s.name, url: s.url, typeDefs: s.typeDefs as DocumentNode }));
  const result = composeServices(services);
  if (result.errors) throw new CompositionFailed(result.errors.map(describeError));
  return HEADER + result.supergraphSdl + '\n';
}

function main(): void {
  const dir = resolve(process.argv[2] ?? SCHEMA_DIR);
  try {
    const sdl = composeSupergraph(dir);
    const out = join(dir, SUPERGRAPH_FILE);
    writeFileSync(out, sdl);
    console.log(`wrote ${out} (${sdl.length} bytes)`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
