/**
 * The supergraph source of one gateway: a fixed SDL, or a file watched for changes. A change is
 * debounced, compared by content hash, prepared, and handed to @apollo/gateway through the
 * `update` callback of its `supergraphSdl` hook: in-flight operations finish on the schema they
 * started with, new ones use the new schema. A file that cannot be served is logged and the
 * current schema kept.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { SupergraphSdlHook, SupergraphSdlUpdateFunction } from '@apollo/gateway';
import type { Logger } from '../platform/logger.js';
import { prepareSupergraph, type PreparedSupergraph } from './supergraph.js';

/** What a reload did. */
export type ReloadOutcome =
  | { kind: 'unchanged'; hash: string }
  | { kind: 'updated'; prepared: PreparedSupergraph }
  | { kind: 'rejected'; error: string };

/** Options of `createSupergraphSource`. */
export interface SupergraphSourceOptions {
  /** A fixed supergraph; when given, `path` is not read. */
  sdl?: string;
  /** A supergraph file, watched when `watch` is on. */
  path?: string;
  watch?: boolean;
  /** Quiet time after the last file event before reading the file. */
  debounceMs?: number;
  subgraphUrls?: Record<string, string>;
  logger: Logger;
  /** Called after @apollo/gateway switched to a new supergraph. */
  onUpdated: (prepared: PreparedSupergraph) => void;
}

/** The supergraph the gateway serves, and its reloads. */
export interface SupergraphSource {
  /** The supergraph currently served. */
  current(): PreparedSupergraph;
  /** The `supergraphSdl` hook for ApolloGateway. */
  hook: SupergraphSdlHook;
  /** Reads the file again now (also what a file change triggers). */
  reload(): Promise<ReloadOutcome>;
  /** Stops watching. Safe to call twice. */
  close(): void;
}

/** Loads the initial supergraph (throws when it cannot be served) and prepares reloads. */
export async function createSupergraphSource(opts: SupergraphSourceOptions): Promise<SupergraphSource> {
  const { sdl, path, watch: watchFile = true, debounceMs = 150, subgraphUrls, logger, onUpdated } = opts;
  if (sdl === undefined && path === undefined) throw new Error('a supergraph SDL or path is required');
  const file = path === undefined ? undefined : resolve(path);
  const prepare = (text: string) => prepareSupergraph(text, { subgraphUrls });
  let current = prepare(sdl ?? (await readFile(file!, 'utf8')));
  let update: SupergraphSdlUpdateFunction | undefined;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function reloadNow(): Promise<ReloadOutcome> {
    if (!file || !update || closed) return { kind: 'unchanged', hash: current.hash };
    let next: PreparedSupergraph;
    try {
      const text = await readFile(file, 'utf8');
      next = prepare(text);
      if (next.hash === current.hash) return { kind: 'unchanged', hash: current.hash };
      if (closed) return { kind: 'unchanged', hash: current.hash };
      update(next.gatewaySdl);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      logger.error({ path: file, error }, 'supergraph change rejected; the current schema stays in service');
      return { kind: 'rejected', error };
    }
    current = next;
    logger.info({ path: file, hash: next.hash, subgraphs: next.subgraphs.map((s) => s.name) }, 'supergraph reloaded');
    onUpdated(next);
    return { kind: 'updated', prepared: next };
  }

  function reload(): Promise<ReloadOutcome> {
    const run = chain.then(reloadNow, reloadNow);
    chain = run;
    return run;
  }

  function close(): void {
    closed = true;
    clearTimeout(timer);
    watcher?.close();
    watcher = undefined;
  }

  const hook: SupergraphSdlHook = ({ update: u }) => {
    update = u;
    if (file && watchFile && !closed) {
      const name = basename(file);
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed.toString() !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), debounceMs);
      });
      watcher.on('error', (err) => logger.error({ err, path: file }, 'watching the supergraph failed; reloads stop'));
    }
    return Promise.resolve({
      supergraphSdl: current.gatewaySdl,
      cleanup: () => {
        close();
        return Promise.resolve();
      },
    });
  };

  return { current: () => current, hook, reload, close };
}
