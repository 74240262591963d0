import { describe, expect, it } from 'vitest';
import { parse, print, validate, type DocumentNode } from 'graphql';
import type { Principal } from '../../platform/principal.js';
import { authorizeDocument } from './authorize.js';
import { completeResult } from './complete.js';
import { createFieldGuard, type IntrospectionPolicy } from './rules.js';
import { PRINCIPALS, TEST_RULES, testSchema } from './testing.js';

const schema = testSchema();

async function run(query: string, principal: Principal, data: Record<string, unknown> = {}, introspection: IntrospectionPolicy = 'on') {
  const document = parse(query);
  expect(validate(schema, document)).toEqual([]);
  const guard = createFieldGuard({ schema, rules: TEST_RULES, introspection });
  const auth = await authorizeDocument(schema, guard, document, principal);
  const completed = completeResult(schema, auth, data, {});
  const errors = completed.errors.map((e) => ({ path: e.path, code: e.extensions.code }));
  return { auth, data: completed.data, errors, pruned: auth.document ? print(auth.document) : null };
}

function selects(doc: DocumentNode | null, field: string): boolean {
  return doc !== null && new RegExp(`\\b${field}\\b`).test(print(doc));
}

describe('authorizeDocument + completeResult', () => {
  it('leaves an allowed operation untouched (same document object)', async () => {
    const { auth } = await run('{ event(id: "1") { id title registrations { id } } }', PRINCIPALS.attendee);
    expect(auth.denials).toEqual([]);
    expect(auth.document).toBe(auth.original);
  });

  it('removes a denied field and bubbles null to the nearest nullable parent', async () => {
    const data = { event: { __typename: 'Event', id: '1', title: 'Conf' } };
    const { auth, data: out, errors } = await run('{ event(id: "1") { id title registrations { id } } }', PRINCIPALS.anonymous, data);
    expect(selects(auth.document, 'registrations')).toBe(false);
    // registrations is [Registration!]!, so the event itself becomes null.
    expect(out).toEqual({ event: null });
    expect(errors).toEqual([{ path: ['event', 'registrations'], code: 'UNAUTHENTICATED' }]);
  });

  it('answers a nullable denied field with null and keeps its siblings (FORBIDDEN for a signed-in caller)', async () => {
    const data = { e: { __typename: 'Event', t: 'Conf' } };
    const { data: out, errors, pruned } = await run('{ e: event(id: "1") { t: title r: revenue } }', PRINCIPALS.attendee, data);
    expect(pruned).not.toContain('revenue');
    expect(out).toEqual({ e: { t: 'Conf', r: null } });
    expect(errors).toEqual([{ path: ['e', 'r'], code: 'FORBIDDEN' }]);
  });

  it('requires every scope of an AND group and accepts any OR alternative', async () => {
    const q = '{ event(id: "1") { revenue } }';
    expect((await run(q, PRINCIPALS.organizer)).auth.denials).toHaveLength(1); // events:write without payments:read
    expect((await run(q, PRINCIPALS.finance)).auth.denials).toHaveLength(0); // both
    expect((await run(q, PRINCIPALS.admin)).auth.denials).toHaveLength(0); // admin implies all
    const email = '{ me { email } }';
    expect((await run(email, { ...PRINCIPALS.attendee, scopes: ['people:read'] })).auth.denials).toHaveLength(0);
  });

  it('finds guarded fields through fragment spreads, inline fragments on interfaces and unions, and aliases', async () => {
    const query = `
      query Q {
        node(id: "1") { id ... on User { mail: email } ...EventMoney }
        search(term: "x") { ... on User { email name } ... on Event { title } }
      }
      fragment EventMoney on Event { revenue }`;
    const data = {
      node: { __typename: 'User', id: '1' },
      search: [
        { __typename: 'User', name: 'Ada' },
        { __typename: 'Event', title: 'Conf' },
      ],
    };
    const { auth, data: out, errors, pruned } = await run(query, PRINCIPALS.attendee, data);
    expect(auth.denials.map((d) => d.coordinate).sort()).toEqual(['Event.revenue', 'Node.id', 'User.email', 'User.email']);
    expect(pruned).not.toMatch(/email|revenue/);
    // Node.id is denied because one implementation (Payment) needs payments:read: null bubbles to node.
    expect(out).toEqual({ node: null, search: [{ name: 'Ada', email: null }, { title: 'Conf' }] });
    expect(errors).toContainEqual({ path: ['search', 0, 'email'], code: 'FORBIDDEN' });
    expect(errors).toContainEqual({ path: ['node', 'id'], code: 'FORBIDDEN' });
    expect(errors).not.toContainEqual({ path: ['search', 1, 'email'], code: 'FORBIDDEN' });
  });

  it('reports a denied field at each position of a nested list path', async () => {
    const data = {
      events: {
        __typename: 'EventConnection',
        edges: [
          { __typename: 'EventEdge', node: { __typename: 'Event', title: 'A' } },
          { __typename: 'EventEdge', node: { __typename: 'Event', title: 'B' } },
        ],
      },
    };
    const { data: out, errors, auth } = await run('{ events(first: 2) { edges { node { title revenue } } } }', PRINCIPALS.attendee, data);
    expect(auth.errors.map((e) => e.path)).toEqual([['events', 'edges', 'node', 'revenue']]);
    expect(out).toEqual({ events: { edges: [{ node: { title: 'A', revenue: null } }, { node: { title: 'B', revenue: null } }] } });
    expect(errors.map((e) => e.path)).toEqual([
      ['events', 'edges', 0, 'node', 'revenue'],
      ['events', 'edges', 1, 'node', 'revenue'],
    ]);
  });

  it('guards a type wherever it is reached (type-level @requiresScopes)', async () => {
    const { auth } = await run('{ payment(id: "1") { id } me { payments { amount } } }', { ...PRINCIPALS.attendee });
    expect(auth.denials.map((d) => d.coordinate).sort()).toEqual(['Payment.amount', 'Payment.id', 'Query.payment', 'User.payments']);
  });

  it('keeps the document valid when every child of a field is denied, and drops unused variables', async () => {
    const document = parse('mutation($id: ID!, $t: String!) { a: createEvent(title: $t) { id } b: renameEvent(id: $id, title: $t) { id } }');
    const guard = createFieldGuard({ schema, rules: TEST_RULES, introspection: 'on' });
    const auth = await authorizeDocument(schema, guard, document, PRINCIPALS.attendee);
    expect(auth.document).toBeNull(); // both root fields denied: nothing to execute
    const q2 = parse('query($id: ID!, $n: Int) { event(id: $id) { revenue } events(first: $n) { totalCount } }');
    const auth2 = await authorizeDocument(schema, guard, q2, PRINCIPALS.anonymous);
    expect(auth2.document).not.toBeNull();
    expect(validate(schema, auth2.document as DocumentNode)).toEqual([]);
    expect(print(auth2.document as DocumentNode)).toContain('event(id: $id) {\n    __typename\n  }');
  });

  it('returns data null when a denied non-null root field is selected', async () => {
    const { data, errors } = await run('{ secret event(id: "1") { id } }', PRINCIPALS.attendee, { event: { __typename: 'Event', id: '1' } });
    expect(data).toBeNull();
    expect(errors).toEqual([{ path: ['secret'], code: 'FORBIDDEN' }]);
  });

  it('denies a mutation without the scope before anything runs', async () => {
    const { auth, data, errors } = await run('mutation { createEvent(title: "x") { id } }', PRINCIPALS.attendee);
    expect(auth.document).toBeNull();
    expect(data).toBeNull();
    expect(errors).toEqual([{ path: ['createEvent'], code: 'FORBIDDEN' }]);
  });

  it('gives different documents (and so different plan keys) to callers with different rights', async () => {
    const q = '{ event(id: "1") { title revenue registrations { id } } }';
    const docs = await Promise.all([PRINCIPALS.admin, PRINCIPALS.attendee, PRINCIPALS.anonymous].map(async (p) => (await run(q, p)).pruned));
    expect(new Set(docs).size).toBe(3);
    expect(docs[0]).toBe(print(parse(q)));
  });

  it('explains the requirement in the error details', async () => {
    const { auth } = await run('{ event(id: "1") { revenue } }', PRINCIPALS.attendee);
    expect(auth.errors[0]!.extensions).toMatchObject({ code: 'FORBIDDEN', status: 403, details: 'Event.revenue: Requires scopes: events:write and payments:read.' });
  });

  describe('introspection', () => {
    const q = '{ __schema { queryType { name } } }';
    it('is refused to anonymous callers when scoped, with data null (non-null __schema)', async () => {
      const { data, errors } = await run(q, PRINCIPALS.anonymous, {}, 'scoped');
      expect(data).toBeNull();
      expect(errors).toEqual([{ path: ['__schema'], code: 'UNAUTHENTICATED' }]);
    });
    it('is allowed with schema:read when scoped, and to everyone when on', async () => {
      expect((await run(q, PRINCIPALS.partner, {}, 'scoped')).auth.denials).toEqual([]);
      expect((await run(q, PRINCIPALS.anonymous, {}, 'on')).auth.denials).toEqual([]);
    });
    it('is refused to everyone but still answers other fields when off', async () => {
      const { data, errors } = await run('{ t: __type(name: "Event") { name } event(id: "1") { id } }', PRINCIPALS.admin, { event: { __typename: 'Event', id: '1' } }, 'off');
      expect(data).toEqual({ t: null, event: { id: '1' } });
      expect(errors).toEqual([{ path: ['t'], code: 'FORBIDDEN' }]);
    });
  });
});
