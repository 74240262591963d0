/**
 * The extensions a gateway process runs with, in pipeline order: authentication and rate limits
 * first (they set the principal and the X-RateLimit-* headers), then scope rules (Apollo plugins
 * that need the principal), then subscriptions (the WebSocket endpoint). Each part builds its
 * extension from its own validated settings; `gateway/main.ts` and `scripts/start.ts` call this.
 */
import type { Logger } from '../subgraphs/kit/logger.js';
import type { GatewayConfig } from './config.js';
import type { GatewayExtension } from './types.js';

export interface ExtensionDeps {
  config: GatewayConfig;
  logger: Logger;
  /** The database the gateway keeps its own records in (the mutation audit log). */
  mongoUri?: string;
}

/** Builds the process's extensions (none yet: the core serves unauthenticated HTTP on its own). */
export async function createExtensions(deps: ExtensionDeps): Promise<GatewayExtension[]> {
  void deps;
  return [];
}
