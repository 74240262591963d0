/**
 * The extensions a gateway process runs with, in pipeline order: authentication and rate limits
 * first (they set the principal and the X-RateLimit-* headers), then scope rules (Apollo plugins
 * that need the principal), then subscriptions (the WebSocket endpoint). Each part builds its
 * extension from its own validated settings; `gateway/main.ts` and `scripts/stack.ts` call this.
 */
import type { Logger } from '../platform/logger.js';
import { loadAuthConfig, type AuthConfig } from './auth/config.js';
import { clientAddress, createSecurityExtension } from './auth/extension.js';
import type { GatewayConfig } from './config.js';
import { createSubscriptionsExtension } from './subscriptions/extension.js';
import type { GatewayExtension } from './types.js';

export interface ExtensionDeps {
  config: GatewayConfig;
  logger: Logger;
  /** Security settings; read from the environment when absent. */
  auth?: AuthConfig;
  /** The database the gateway keeps its own records in (the mutation audit log). */
  mongoUri?: string;
}

/** Builds the process's extensions. */
export async function createExtensions(deps: ExtensionDeps): Promise<GatewayExtension[]> {
  const auth = deps.auth ?? loadAuthConfig();
  const security = await createSecurityExtension({ auth, logger: deps.logger, auditMongoUri: deps.mongoUri ?? deps.config.mongodbUri });
  const subscriptions = createSubscriptionsExtension({
    config: deps.config,
    logger: deps.logger,
    security,
    clientAddress: (req) => clientAddress(req, auth.trustProxy),
  });
  return [security, subscriptions];
}
