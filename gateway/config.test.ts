import { describe, expect, it } from 'vitest';
import { ConfigError } from '../platform/config.js';
import { applyLibraryEnvironment, loadGatewayConfig, subgraphEnvName } from './config.js';

describe('gateway config', () => {
  it('has development defaults', () => {
    const c = loadGatewayConfig({});
    expect(c).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      supergraphPath: 'schema/supergraph.graphql',
      subgraphUrls: {},
      corsOrigins: ['*'],
      maxBodyBytes: 100_000,
      subgraphTimeoutMs: 30_000,
      subgraphIdleTimeoutMs: 4_000,
      exposeErrors: true,
      introspection: true,
      apolloTelemetry: false,
    });
    expect(c.subgraphBatching).toBeUndefined();
  });

  it('hides error detail and closes CORS and introspection outside development', () => {
    const c = loadGatewayConfig({ NODE_ENV: 'production', INTERNAL_SECRET: 's'.repeat(32) });
    expect(c).toMatchObject({ exposeErrors: false, corsOrigins: [], introspection: false });
  });

  it('reads every setting', () => {
    const c = loadGatewayConfig({
      PORT: '5000',
      SUPERGRAPH_PATH: '/etc/gw/supergraph.graphql',
      SUBGRAPH_URL_EVENTS: 'http://events:4001/graphql',
      SUBGRAPH_URL_my_graph: 'https://my.example/graphql',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:3000',
      MAX_BODY_BYTES: '65536',
      SUBGRAPH_TIMEOUT_MS: '5000',
      SUBGRAPH_IDLE_TIMEOUT_MS: '2500',
      SUBGRAPH_BATCHING: 'events, people',
      EXPOSE_ERRORS: 'false',
    });
    expect(c).toMatchObject({
      port: 5000,
      supergraphPath: '/etc/gw/supergraph.graphql',
      subgraphUrls: { EVENTS: 'http://events:4001/graphql', MY_GRAPH: 'https://my.example/graphql' },
      corsOrigins: ['https://app.example.com', 'http://localhost:3000'],
      maxBodyBytes: 65536,
      subgraphTimeoutMs: 5000,
      subgraphIdleTimeoutMs: 2500,
      subgraphBatching: ['events', 'people'],
      exposeErrors: false,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['SUBGRAPH_URL_EVENTS', 'not a url'],
    ['SUBGRAPH_URL_PEOPLE', 'ftp://people/graphql'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['MAX_BODY_BYTES', '-1'],
    ['SUBGRAPH_TIMEOUT_MS', '1.5'],
    ['SUBGRAPH_IDLE_TIMEOUT_MS', '0'],
    ['SUBGRAPH_BATCHING', 'events;people'],
    ['EXPOSE_ERRORS', 'maybe'],
  ])('refuses a bad %s, naming it', (key, value) => {
    expect(() => loadGatewayConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ [key]: value })).toThrow(key);
  });

  it('reads SUBGRAPH_BATCHING as off, all or subgraph names', () => {
    const batching = (v: string) => loadGatewayConfig({ SUBGRAPH_BATCHING: v }).subgraphBatching;
    expect(batching('off')).toBe('off');
    expect(batching('OFF')).toBe('off');
    expect(batching('all')).toBe('all');
    expect(batching('on')).toBe('all');
    expect(batching('reviews')).toEqual(['reviews']);
    expect(batching(' events , billing-v2 ,')).toEqual(['events', 'billing-v2']);
    expect(batching('')).toBeUndefined();
  });

  it('normalises subgraph names to their env form', () => {
    expect(subgraphEnvName('events')).toBe('EVENTS');
    expect(subgraphEnvName('billing-v2')).toBe('BILLING_V2');
  });

  it('keeps @apollo/gateway usage metrics off unless asked for', () => {
    const env: Record<string, string | undefined> = {};
    applyLibraryEnvironment({ apolloTelemetry: false }, env);
    expect(env.APOLLO_TELEMETRY_DISABLED).toBe('true');
    applyLibraryEnvironment({ apolloTelemetry: true }, env);
    expect(env.APOLLO_TELEMETRY_DISABLED).toBeUndefined();
  });
});
