/**
 * Liveness and readiness. `/health` answers while the process runs; `/ready` asks every subgraph's
 * own `/ready` (which checks its database) and answers 503 naming the ones that are not ready.
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from '../platform/http.js';
import type { Fetcher } from './fetcher.js';
import type { SubgraphEndpoint } from './supergraph.js';

type SubgraphReadiness = 'ready' | 'unavailable';

/** The `/ready` URL next to a subgraph's GraphQL URL (`…/graphql` → `…/ready`). */
function readyUrlOf(graphqlUrl: string): string {
  return new URL('ready', graphqlUrl).toString();
}

/** Probes every subgraph's `/ready` in parallel. */
async function probeSubgraphs(subgraphs: readonly SubgraphEndpoint[], fetch: Fetcher, timeoutMs: number): Promise<Record<string, SubgraphReadiness>> {
  const results = await Promise.all(
    subgraphs.map(async (s): Promise<[string, SubgraphReadiness]> => {
      try {
        const res = await fetch(readyUrlOf(s.url), { method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
        await res.text();
        return [s.name, res.ok ? 'ready' : 'unavailable'];
      } catch {
        return [s.name, 'unavailable'];
      }
    }),
  );
  return Object.fromEntries(results);
}

/** Answers `/ready`: 200 when the gateway runs and every subgraph is ready, else 503. */
export async function answerReady(res: ServerResponse, opts: { stopping: boolean; subgraphs: readonly SubgraphEndpoint[]; fetch: Fetcher; timeoutMs: number }): Promise<void> {
  if (opts.stopping) return sendJson(res, 503, { status: 'unavailable', reason: 'the gateway is shutting down' });
  const subgraphs = await probeSubgraphs(opts.subgraphs, opts.fetch, opts.timeoutMs);
  const unavailable = Object.entries(subgraphs).filter(([, v]) => v !== 'ready').map(([k]) => k);
  sendJson(res, unavailable.length ? 503 : 200, { status: unavailable.length ? 'unavailable' : 'ready', subgraphs, ...(unavailable.length ? { unavailable } : {}) });
}
