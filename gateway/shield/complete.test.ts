/**
 * The completion pass answers from what the execution of the pruned document produced: values
 * are taken from that data as they are (nothing is resolved or executed again, introspection
 * included), what only the pruned document selected is left out, and `@skip`/`@include` and
 * fragments select as they did for the caller's operation.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { authorizeDocument } from './authorize.js';
import { completeResult } from './complete.js';
import { createFieldGuard } from './rules.js';
import { PRINCIPALS, TEST_RULES, testSchema } from './testing.js';

const schema = testSchema();
const guard = createFieldGuard({ schema, rules: TEST_RULES, introspection: 'on' });

describe('completeResult', () => {
  it('keeps the values of the first execution, introspection included, and drops the added __typename', async () => {
    const query = '{ t: __type(name: "Event") { name } event(id: "1") { title revenue } }';
    const auth = await authorizeDocument(schema, guard, parse(query), PRINCIPALS.attendee);
    // What @apollo/gateway answered for the pruned document (a name graphql-js would not compute from this schema).
    const executed = { t: { __typename: '__Type', name: 'AsAnswered' }, event: { __typename: 'Event', title: 'Conf' } };
    const { data, errors } = completeResult(schema, auth, executed, {});
    expect(data).toEqual({ t: { name: 'AsAnswered' }, event: { title: 'Conf', revenue: null } });
    expect(JSON.stringify(data)).toBe('{"t":{"name":"AsAnswered"},"event":{"title":"Conf","revenue":null}}');
    expect(errors.map((e) => [e.path, e.extensions.code])).toEqual([[['event', 'revenue'], 'FORBIDDEN']]);
  });

  it('selects with @include, @skip and variables defaults as the caller asked', async () => {
    const query = `query($withTitle: Boolean = true, $noOrganizer: Boolean!) {
      event(id: "1") { title @include(if: $withTitle) organizer @skip(if: $noOrganizer) { name } ...Money }
    }
    fragment Money on Event { revenue }`;
    const auth = await authorizeDocument(schema, guard, parse(query), PRINCIPALS.attendee);
    const executed = { event: { __typename: 'Event', title: 'Conf' } };
    const { data, errors } = completeResult(schema, auth, executed, { noOrganizer: true });
    expect(data).toEqual({ event: { title: 'Conf', revenue: null } });
    expect(errors.map((e) => e.path)).toEqual([['event', 'revenue']]);
  });

  it('reports a null the execution left in a non-null position where the caller selected it', async () => {
    const auth = await authorizeDocument(schema, guard, parse('{ event(id: "1") { title revenue } }'), PRINCIPALS.attendee);
    const { data, errors } = completeResult(schema, auth, { event: { __typename: 'Event', title: null } }, {});
    expect(data).toEqual({ event: null });
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      [['event', 'title'], 'Cannot return null for non-nullable field Event.title.'],
    ]);
  });
});
