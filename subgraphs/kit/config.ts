/**
 * A subgraph process's configuration: the common settings plus its port and where its peer
 * subgraphs answer.
 */
import { DEFAULT_PORTS, SUBGRAPH_NAMES, ConfigError, loadCommonConfig, readPort, readUrl, type CommonConfig, type Env, type SubgraphName } from '../../platform/config.js';

/** A subgraph process's validated settings. */
export interface SubgraphConfig extends CommonConfig {
  name: SubgraphName;
  port: number;
  /**
   * GraphQL URL of every subgraph, for the checks one subgraph makes at another before a write
   * (`SUBGRAPH_URL_<NAME>`, the gateway's variables; default `http://127.0.0.1:<default port>/graphql`).
   */
  peerUrls: Record<SubgraphName, string>;
  /** How long a call to a peer subgraph may take (`PEER_TIMEOUT_MS`, default 5000). */
  peerTimeoutMs: number;
}

/** Reads a subgraph's settings (`<NAME>_PORT`, e.g. EVENTS_PORT; or PORT when run alone). */
export function loadSubgraphConfig(name: string, env: Env = process.env): SubgraphConfig {
  if (!(SUBGRAPH_NAMES as readonly string[]).includes(name)) throw new ConfigError(`unknown subgraph '${name}' (one of ${SUBGRAPH_NAMES.join(', ')})`);
  const n = name as SubgraphName;
  const key = `${n.toUpperCase()}_PORT`;
  const peerUrls = {} as Record<SubgraphName, string>;
  for (const peer of SUBGRAPH_NAMES) peerUrls[peer] = readUrl(env, `SUBGRAPH_URL_${peer.toUpperCase()}`, ['http:', 'https:']) ?? `http://127.0.0.1:${DEFAULT_PORTS[peer]}/graphql`;
  const timeoutRaw = env.PEER_TIMEOUT_MS;
  const peerTimeoutMs = timeoutRaw === undefined || timeoutRaw === '' ? 5000 : Number(timeoutRaw);
  if (!Number.isInteger(peerTimeoutMs) || peerTimeoutMs < 100 || peerTimeoutMs > 60_000) throw new ConfigError(`PEER_TIMEOUT_MS must be an integer between 100 and 60000, got '${timeoutRaw}'`);
  return { ...loadCommonConfig(env), name: n, port: readPort(env, key, readPort(env, 'PORT', DEFAULT_PORTS[n])), peerUrls, peerTimeoutMs };
}
