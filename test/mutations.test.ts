/**
 * Every mutation of the composed API through the gateway over HTTP: its happy path, and an invalid
 * input answered with BAD_USER_INPUT at the input path (spec error shape) that writes nothing.
 * A guard compares the table with the gateway's introspected Mutation type.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionCounts, expectSpecError, readDoc, startE2E, type E2E } from './harness/e2e.js';
import { EVENT_MUTATIONS } from './e2e/mutations/events.js';
import { INTEGRATION_MUTATIONS } from './e2e/mutations/integrations.js';
import { PAYMENT_MUTATIONS } from './e2e/mutations/payments.js';
import { PEOPLE_MUTATIONS } from './e2e/mutations/people.js';

const CASES = [...EVENT_MUTATIONS, ...PEOPLE_MUTATIONS, ...PAYMENT_MUTATIONS, ...INTEGRATION_MUTATIONS];

let t: E2E;
beforeAll(async () => {
  t = await startE2E();
});
afterAll(() => t?.stop());

describe('the mutation table', () => {
  it("covers every field of the gateway's Mutation type, once", async () => {
    const d = await t.admin(`{ __type(name: "Mutation") { fields { name } } }`);
    const live = d.__type.fields.map((f: { name: string }) => f.name).sort();
    const table = CASES.map((c) => c.field);
    expect(new Set(table).size, 'a mutation appears twice in the table').toBe(table.length);
    expect([...table].sort()).toEqual(live);
  });
});

describe.each(CASES.map((c) => [c.field, c] as const))('%s', (field, c) => {
  it('succeeds with valid input', async () => {
    await c.happy(t);
  });

  it('answers BAD_USER_INPUT at the input path for invalid input and writes nothing', async () => {
    const call = await c.invalid(t);
    const subjectBefore = call.subject && (await readDoc(t, call.subject.subgraph, call.subject.collection, new Types.ObjectId(call.subject.id)));
    if (call.subject) expect(subjectBefore, 'the subject document exists').not.toBeNull();
    const countsBefore = await collectionCounts(t);

    const res = await t.adminRaw(call.query, call.variables);
    expect(res.body.errors, JSON.stringify(res.body)).toHaveLength(1);
    const err = res.body.errors![0]!;
    expectSpecError(err, 'BAD_USER_INPUT', call.target);
    expect(err.path).toEqual([field]);
    expect(res.body.data ?? null).toBeNull();

    expect(await collectionCounts(t)).toEqual(countsBefore);
    if (call.subject) {
      const after = await readDoc(t, call.subject.subgraph, call.subject.collection, new Types.ObjectId(call.subject.id));
      expect(after).toEqual(subjectBefore);
    }
  });
});

// A subgraph rejects a malformed DateTime while coercing the operation and answers HTTP 400 with a
// BAD_USER_INPUT body; the gateway passes that coded client error through instead of masking it.
describe('a malformed DateTime in mutation input', () => {
  const input = { title: 'Bad date', startsAt: 'yesterday', endsAt: '2031-03-12T18:00:00.000Z' };

  it('given as a variable is BAD_USER_INPUT at the field path', async () => {
    const res = await t.adminRaw(`mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }`, { input });
    expectSpecError(res.body.errors?.[0], 'BAD_USER_INPUT', 'input.startsAt');
  });

  it('given as a literal is a client error', async () => {
    const res = await t.adminRaw(`mutation { createEvent(input: { title: "Bad date", startsAt: "yesterday", endsAt: "${input.endsAt}" }) { id } }`);
    expect(res.body.errors?.[0]?.extensions?.status).toBe(400);
  });
});
