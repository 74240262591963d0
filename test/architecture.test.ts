/**
 * What may import what (docs/architecture.md): checked over every TypeScript source the product
 * ships, by reading each relative import, so a forbidden edge fails the suite where it is added.
 * Tests, test harnesses and benchmark scripts may reach anything.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), '..'));
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
const SUBGRAPHS = ['events', 'people', 'payments', 'integrations'];

/** Product sources: tracked .ts files outside tests, harnesses and benchmarks. */
function productSources(): string[] {
  const all = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return all.filter(
    (f) => !f.endsWith('.test.ts') && !f.endsWith('/testing.ts') && !f.startsWith('test/') && !f.startsWith('scripts/bench') && !f.endsWith('.config.ts'),
  );
}

/** The repository-relative paths a file imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => normalize(join(dirname(file), m[1] ?? '')));
}

/** Why `from` may not import `to`, or null when it may. */
function forbidden(from: string, to: string): string | null {
  const top = (p: string) => p.split('/')[0];
  const subgraphOf = (p: string) => (p.startsWith('subgraphs/') ? p.split('/')[1] : undefined);
  if (to.startsWith('test/')) return 'product code never imports the test harness';
  if (top(from) === 'platform' && top(to) !== 'platform' && top(to) !== 'node_modules') return 'platform/ is shared by gateway and subgraphs and imports neither';
  if (top(from) === 'localdb' && top(to) !== 'localdb') return 'localdb/ stands alone';
  if (top(from) === 'gateway' && (top(to) === 'subgraphs' || top(to) === 'localdb')) return 'the gateway imports nothing from subgraphs/ or localdb/ (shared code lives in platform/)';
  const own = subgraphOf(from);
  const other = subgraphOf(to);
  if (own && top(to) === 'gateway') return 'a subgraph imports nothing from the gateway';
  if (own === 'kit' && other && SUBGRAPHS.includes(other)) return 'the subgraph runtime (kit) imports no subgraph';
  if (own && SUBGRAPHS.includes(own) && other && SUBGRAPHS.includes(other) && other !== own) return 'a subgraph imports nothing from another subgraph';
  return null;
}

describe('import boundaries', () => {
  it('hold for every product source', () => {
    const sources = productSources();
    expect(sources.length).toBeGreaterThan(100);
    const violations: string[] = [];
    for (const file of sources) {
      for (const target of importsOf(file)) {
        const why = forbidden(file, target);
        if (why) violations.push(`${file} -> ${target}: ${why}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('catch each kind of forbidden edge', () => {
    expect(forbidden('gateway/server.ts', 'subgraphs/kit/errors.js')).toMatch(/gateway imports nothing/);
    expect(forbidden('subgraphs/events/service.ts', 'subgraphs/people/models.js')).toMatch(/another subgraph/);
    expect(forbidden('subgraphs/kit/peers.ts', 'subgraphs/people/index.js')).toMatch(/kit/);
    expect(forbidden('subgraphs/payments/service.ts', 'gateway/errors.js')).toMatch(/from the gateway/);
    expect(forbidden('platform/http.ts', 'gateway/errors.js')).toMatch(/platform/);
    expect(forbidden('gateway/server.ts', 'test/harness/stack.js')).toMatch(/test harness/);
    expect(forbidden('gateway/server.ts', 'platform/errors.js')).toBeNull();
    expect(forbidden('subgraphs/events/service.ts', 'subgraphs/kit/outbox.js')).toBeNull();
    expect(forbidden('subgraphs/events/service.ts', 'platform/principal.js')).toBeNull();
  });
});
