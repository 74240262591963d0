/** Gateway settings for tests: test mode (silent logs, errors masked), the fixtures' secret. */
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/config.js';
import { FIXTURE_SECRET } from './gateway-fixtures.js';

export function testConfig(env: Record<string, string> = {}): GatewayConfig {
  return loadGatewayConfig({ NODE_ENV: 'test', INTERNAL_SECRET: FIXTURE_SECRET, PORT: '0', ...env });
}
