/** Validation helpers: mongoose errors become BAD_USER_INPUT with input paths; checks name their target. */
import mongoose, { Schema } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { checkHttpUrl, checkInt, checkRange, checkText, checkTimeZone, fromMongooseError, isDuplicateKeyError, optionalText, withInputErrors } from './validation.js';

let db: LocalDb;
let conn: mongoose.Connection;

beforeAll(async () => {
  db = await startLocalDb({ port: 0 });
  conn = mongoose.createConnection(db.uri, { dbName: 'validation_test' });
  await conn.asPromise();
});
afterAll(async () => {
  await conn?.close();
  await db?.stop();
});

const thingSchema = () => new Schema({ title: { type: String, required: true, maxlength: 5 }, count: { type: Number, min: 0 }, code: { type: String, unique: true } });

function targetOf(err: unknown): unknown {
  return (err as { extensions?: { target?: unknown } }).extensions?.target;
}

describe('fromMongooseError', () => {
  it('turns a ValidationError into BAD_USER_INPUT at the first field, listing every field', async () => {
    const Thing = conn.model('ThingA', thingSchema());
    const err = await new Thing({ title: 'too long', count: -1 }).validate().catch((e: unknown) => e);
    const gql = fromMongooseError(err, 'input', { count: 'quantity' })!;
    expect(gql.extensions.code).toBe('BAD_USER_INPUT');
    expect(['input.title', 'input.quantity']).toContain(gql.extensions.target);
    const fields = (gql.extensions.fieldErrors as Array<{ target: string }>).map((f) => f.target).sort();
    expect(fields).toEqual(['input.quantity', 'input.title']);
  });

  it('turns a CastError into BAD_USER_INPUT and leaves other errors alone', async () => {
    const Thing = conn.model('ThingB', thingSchema());
    const err = await Thing.findById('not-an-id').exec().catch((e: unknown) => e);
    expect(targetOf(fromMongooseError(err, ''))).toBe('_id');
    expect(fromMongooseError(new Error('boom'))).toBeNull();
    await expect(withInputErrors(() => Thing.create({ title: 'abcdefgh' }))).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', target: 'input.title' } });
  });
});

describe('isDuplicateKeyError', () => {
  it('recognises a unique-index violation from the server', async () => {
    const Thing = conn.model('ThingC', thingSchema());
    await Thing.init();
    await Thing.create({ title: 'a', code: 'X' });
    const dup = await Thing.create({ title: 'b', code: 'X' }).catch((e: unknown) => e);
    expect(isDuplicateKeyError(dup)).toBe(true);
    const bulk = await Thing.insertMany([{ title: 'c', code: 'X' }]).catch((e: unknown) => e);
    expect(isDuplicateKeyError(bulk)).toBe(true);
    expect(isDuplicateKeyError(new Error('other'))).toBe(false);
  });
});

describe('checks', () => {
  it('answer clean values and name the target of a bad one', () => {
    expect(checkText('  hi  ', 'input.title', { min: 1, max: 5 })).toBe('hi');
    expect(optionalText('   ', 'input.room', 10)).toBeNull();
    expect(checkTimeZone('Europe/Berlin', 'tz')).toBe('Europe/Berlin');
    expect(checkHttpUrl('https://example.com/a', 'u')).toBe('https://example.com/a');
    const cases: Array<[() => unknown, string]> = [
      [() => checkText(' ', 'input.title', { min: 1, max: 5 }), 'input.title'],
      [() => checkText('abcdef', 'input.title', { max: 5 }), 'input.title'],
      [() => checkTimeZone('Nowhere/Land', 'input.timezone'), 'input.timezone'],
      [() => checkHttpUrl('javascript:alert(1)', 'input.venue.onlineUrl'), 'input.venue.onlineUrl'],
      [() => checkHttpUrl('not a url', 'input.url'), 'input.url'],
      [() => checkInt(1.5, 'input.capacity', { min: 0 }), 'input.capacity'],
      [() => checkInt(-1, 'input.capacity', { min: 0 }), 'input.capacity'],
      [() => checkRange(new Date(2), new Date(1), 'input.endsAt'), 'input.endsAt'],
    ];
    for (const [fn, target] of cases) {
      let thrown: unknown;
      try {
        fn();
      } catch (err) {
        thrown = err;
      }
      expect(thrown, target).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', target } });
    }
  });
});
