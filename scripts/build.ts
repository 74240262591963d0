/**
 * `npm run build [-- --out-dir DIR]`: the production build. Compiles the product with
 * `tsc -p tsconfig.build.json` into DIR (default `dist/`), then copies next to the compiled code
 * what it reads from disk at run time: `schema/*.graphql` (each subgraph reads its SDL relative to
 * its own module, `dist/subgraphs/<name>/index.js` → `dist/schema/<name>.graphql`; the gateway reads
 * SUPERGRAPH_PATH, `dist/schema/supergraph.graphql` in the container image).
 *
 * The result runs on Node.js alone: `node dist/gateway/main.js`, `node dist/subgraphs/main.js <name>`,
 * `node dist/scripts/start.js`, with `package.json` (ES modules) and `node_modules` in a parent
 * directory. DIR is emptied first; a non-empty directory that an earlier build did not produce is
 * refused. Exit status 1 when the product does not type-check (nothing is emitted then).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
/** Written into every build output; only a directory holding it is emptied by the next build. */
const BUILD_MARKER = '.eventgraph-build';
/** Folders of the repository whose files the compiled code reads at run time. */
const RUNTIME_FILES: Array<{ dir: string; suffix: string }> = [{ dir: 'schema', suffix: '.graphql' }];

/** Folders whose sources the build reads; the output goes elsewhere. */
const SOURCE_DIRS = ['gateway', 'platform', 'subgraphs', 'localdb', 'scripts', 'schema', 'test'];

/** Why `outDir` may not be emptied and written, or null when it may. */
function refusal(outDir: string): string | null {
  const inside = (dir: string, parent: string) => {
    const rel = relative(parent, dir);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  if (inside(ROOT, outDir)) return 'it is or holds the repository';
  const source = SOURCE_DIRS.find((d) => inside(outDir, join(ROOT, d)));
  if (source) return `it is inside the sources (${source}/)`;
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(join(outDir, BUILD_MARKER))) {
    return 'it is not empty and was not written by npm run build';
  }
  return null;
}

function main(): void {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: join(ROOT, 'dist') } }, strict: true });
  const outDir = resolve(values['out-dir']);
  const refused = refusal(outDir);
  if (refused) {
    console.error(`build: refusing to write ${outDir}: ${refused}`);
    process.exit(2);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, BUILD_MARKER), 'Written by `npm run build`; the next build empties this directory.\n');

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
  if (compiled.status !== 0) {
    console.error(`build: tsc failed (${compiled.status ?? compiled.signal}); nothing usable in ${outDir}`);
    process.exit(1);
  }

  let copied = 0;
  for (const { dir, suffix } of RUNTIME_FILES) {
    mkdirSync(join(outDir, dir), { recursive: true });
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(suffix))) {
      copyFileSync(join(ROOT, dir, file), join(outDir, dir, file));
      copied++;
    }
  }
  console.log(`build: compiled to ${relative(process.cwd(), outDir) || '.'}, ${copied} run-time files copied`);
}

main();
