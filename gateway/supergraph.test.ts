import { ApolloGateway } from '@apollo/gateway';
import { gql } from 'graphql-tag';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { describeRequirement, mergeRequirements } from './access.js';
import { applyLibraryEnvironment } from './config.js';
import { SupergraphError, prepareSupergraph } from './supergraph.js';
import { composeFixture } from '../test/harness/gateway-fixtures.js';

const shop = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes", "@inaccessible"])
  type Query {
    "All orders."
    orders: [Order!]! @requiresScopes(scopes: [["orders:read"], ["admin"]])
    me: String @authenticated
    open: String
  }
  "A customer's order."
  type Order @key(fields: "id") @authenticated {
    id: ID!
    total: Int! @requiresScopes(scopes: [["orders:read", "billing:read"]])
    internalNote: String @inaccessible
  }
  enum Tier @requiresScopes(scopes: [["tiers:read"]]) { GOLD SILVER }
  type Mutation { setTier(tier: Tier!): Tier @authenticated @requiresScopes(scopes: [["tiers:write"]]) }
`;
const billing = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Order @key(fields: "id") { id: ID! invoice: String }
`;
const supergraph = () =>
  composeFixture([
    { name: 'shop', typeDefs: shop, url: 'http://127.0.0.1:1/graphql' },
    { name: 'billing-v2', typeDefs: billing, url: 'http://127.0.0.1:2/graphql' },
  ]);

describe('prepareSupergraph', () => {
  it('the composed supergraph links the security features, which @apollo/gateway refuses', async () => {
    const sdl = supergraph();
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    applyLibraryEnvironment({ apolloTelemetry: false });
    const gateway = new ApolloGateway({ supergraphSdl: sdl, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    await expect(gateway.load()).rejects.toThrow(/UNSUPPORTED_LINKED_FEATURE|is for: SECURITY but is unsupported/);
  });

  it('extracts the rule of every field and type coordinate', () => {
    const { rules } = prepareSupergraph(supergraph());
    expect(Object.fromEntries(rules)).toEqual({
      'Query.orders': { authenticated: false, scopes: [['orders:read'], ['admin']] },
      'Query.me': { authenticated: true, scopes: null },
      Order: { authenticated: true, scopes: null },
      'Order.total': { authenticated: false, scopes: [['billing:read', 'orders:read']] },
      Tier: { authenticated: false, scopes: [['tiers:read']] },
      'Mutation.setTier': { authenticated: true, scopes: [['tiers:write']] },
    });
  });

  it('hands @apollo/gateway a copy without the security features that it loads and serves', async () => {
    const prepared = prepareSupergraph(supergraph());
    expect(prepared.gatewaySdl).not.toMatch(/authenticated|requiresScopes/i);
    applyLibraryEnvironment({ apolloTelemetry: false });
    const gateway = new ApolloGateway({ supergraphSdl: prepared.gatewaySdl, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const { schema } = await gateway.load();
    try {
      const query = schema.getQueryType()!.getFields();
      expect(query.orders!.description).toBe('All orders.\n\nRequires scopes: orders:read or admin.');
      expect(query.me!.description).toBe('Requires authentication.');
      expect(query.open!.description ?? undefined).toBeUndefined();
      expect(schema.getType('Order')!.description).toBe("A customer's order.\n\nRequires authentication.");
      expect(schema.getType('Tier')!.description).toBe('Requires scopes: tiers:read.');
      // @inaccessible is a SECURITY feature the gateway applies itself: kept, and the field hidden.
      expect(prepared.gatewaySdl).toContain('inaccessible');
      expect(Object.keys((schema.getType('Order') as { getFields(): object }).getFields()).sort()).toEqual(['id', 'invoice', 'total']);
    } finally {
      await gateway.stop();
    }
  });

  it('lists the subgraphs with their URLs, applying overrides by name or env form, and hashes the input', () => {
    const sdl = supergraph();
    const plain = prepareSupergraph(sdl);
    expect(plain.subgraphs).toEqual([
      { name: 'billing-v2', url: 'http://127.0.0.1:2/graphql' },
      { name: 'shop', url: 'http://127.0.0.1:1/graphql' },
    ]);
    expect(plain.hash).toMatch(/^[0-9a-f]{64}$/);
    const overridden = prepareSupergraph(sdl, { subgraphUrls: { BILLING_V2: 'http://billing:8080/graphql', shop: 'https://shop.internal/graphql' } });
    expect(overridden.subgraphs).toEqual([
      { name: 'billing-v2', url: 'http://billing:8080/graphql' },
      { name: 'shop', url: 'https://shop.internal/graphql' },
    ]);
    expect(overridden.gatewaySdl).toContain('url: "http://billing:8080/graphql"');
    expect(overridden.hash).toBe(plain.hash);
  });

  it('refuses what it cannot serve: unparseable text, a plain schema, an unenforceable security feature', () => {
    expect(() => prepareSupergraph('type Query {')).toThrow(SupergraphError);
    expect(() => prepareSupergraph('type Query { a: String }')).toThrow(/not a supergraph/);
    const withPolicy = supergraph().replace(
      '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)',
      '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)\n  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
    );
    expect(() => prepareSupergraph(withPolicy)).toThrow(/policy.*cannot enforce/);
  });

  it('follows a renamed feature (`as:`)', () => {
    const renamed = supergraph()
      .replace('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)', '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "auth", for: SECURITY)')
      .replace(/@authenticated\b/g, '@auth');
    const { rules, gatewaySdl } = prepareSupergraph(renamed);
    expect(rules.get('Query.me')).toEqual({ authenticated: true, scopes: null });
    expect(gatewaySdl).not.toContain('@auth');
    expect(() => buildSchema(gatewaySdl, { assumeValidSDL: true })).not.toThrow();
  });
});

describe('access requirements', () => {
  it('merges two requirements as both holding', () => {
    expect(mergeRequirements({ authenticated: true, scopes: null }, { authenticated: false, scopes: [['a'], ['admin']] })).toEqual({ authenticated: true, scopes: [['a'], ['admin']] });
    expect(mergeRequirements({ authenticated: false, scopes: [['a'], ['b']] }, { authenticated: false, scopes: [['c']] })).toEqual({ authenticated: false, scopes: [['a', 'c'], ['b', 'c']] });
  });

  it('describes a requirement for the documentation', () => {
    expect(describeRequirement({ authenticated: true, scopes: null })).toBe('Requires authentication.');
    expect(describeRequirement({ authenticated: false, scopes: [['events:write']] })).toBe('Requires scopes: events:write.');
    expect(describeRequirement({ authenticated: false, scopes: [['a', 'b'], ['admin']] })).toBe('Requires scopes: (a and b) or admin.');
    expect(describeRequirement({ authenticated: false, scopes: null })).toBeUndefined();
  });
});
