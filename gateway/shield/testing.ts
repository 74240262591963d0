/**
 * A small schema with access rules for the shield's tests: interfaces, unions, connections,
 * non-null fields and a guarded type, so every way of reaching a field can be exercised.
 */
import { buildSchema } from 'graphql';
import type { Principal } from '../../platform/principal.js';
import type { AccessRequirement } from '../access.js';

const TEST_SDL = /* GraphQL */ `
  interface Node { id: ID! }
  type Query {
    me: User
    event(id: ID!): Event
    events(first: Int): EventConnection!
    node(id: ID!): Node
    search(term: String!): [SearchResult!]!
    secret: String!
    payment(id: ID!): Payment
  }
  type Mutation { createEvent(title: String!): Event! renameEvent(id: ID!, title: String!): Event }
  type Subscription { eventChanged(id: ID!): Event! }
  type User implements Node { id: ID! name: String! email: String payments: [Payment!] }
  type Event implements Node { id: ID! title: String! registrations: [Registration!]! revenue: Int organizer: User }
  type Registration implements Node { id: ID! ticketCode: String! attendee: User! }
  type Payment implements Node { id: ID! amount: Int! }
  union SearchResult = Event | User
  type EventEdge { cursor: String! node: Event! }
  type EventConnection { edges: [EventEdge!]! totalCount: Int! }
`;

/** The test schema, built from its SDL. */
export const testSchema = () => buildSchema(TEST_SDL);

/** The access rules of the test schema, by coordinate. */
export const TEST_RULES = new Map<string, AccessRequirement>([
  ['Query.me', { authenticated: true, scopes: null }],
  ['User.email', { authenticated: false, scopes: [['people:read'], ['admin']] }],
  ['Event.registrations', { authenticated: true, scopes: [['registrations:read']] }],
  ['Event.revenue', { authenticated: false, scopes: [['payments:read', 'events:write']] }],
  ['Payment', { authenticated: false, scopes: [['payments:read']] }],
  ['Mutation.createEvent', { authenticated: false, scopes: [['events:write']] }],
  ['Mutation.renameEvent', { authenticated: false, scopes: [['events:write']] }],
  ['Query.secret', { authenticated: false, scopes: [['admin']] }],
]);

/** Principals of each kind used across the tests. */
export const PRINCIPALS: Record<'anonymous' | 'attendee' | 'organizer' | 'finance' | 'admin' | 'partner', Principal> = {
  anonymous: { kind: 'anonymous', sub: null, scopes: [], roles: [] },
  attendee: { kind: 'user', sub: 'u1', scopes: ['events:read', 'registrations:read'], roles: ['attendee'] },
  organizer: { kind: 'user', sub: 'u2', scopes: ['events:read', 'events:write', 'registrations:read'], roles: ['organizer'] },
  finance: { kind: 'user', sub: 'u3', scopes: ['payments:read', 'events:write', 'registrations:read'], roles: [] },
  admin: { kind: 'user', sub: 'u0', scopes: ['admin'], roles: ['admin'] },
  partner: { kind: 'partner', sub: 'c1', clientId: 'c1', scopes: ['events:read', 'schema:read'], roles: [] },
};
