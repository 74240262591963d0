import { describe, expect, it } from 'vitest';
import { Kind } from 'graphql';
import { DateTimeScalar, JSONScalar, isoOrNull } from './scalars.js';

describe('scalars', () => {
  it('DateTime needs an offset and serialises to UTC ISO', () => {
    expect(DateTimeScalar.parseValue('2027-03-01T10:00:00+02:00')).toEqual(new Date('2027-03-01T08:00:00Z'));
    expect(() => DateTimeScalar.parseValue('2027-03-01T10:00:00')).toThrow(/offset/);
    expect(() => DateTimeScalar.parseValue('2027-13-45T10:00:00Z')).toThrow();
    expect(DateTimeScalar.serialize(new Date('2027-03-01T08:00:00Z'))).toBe('2027-03-01T08:00:00.000Z');
    expect(() => DateTimeScalar.serialize('not a date')).toThrow();
  });
  it('isoOrNull writes stored dates as UTC ISO strings and no date as null', () => {
    expect(isoOrNull(new Date('2027-03-01T10:00:00+02:00'))).toBe('2027-03-01T08:00:00.000Z');
    expect(isoOrNull('2027-03-01T08:00:00Z')).toBe('2027-03-01T08:00:00.000Z');
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(undefined)).toBeNull();
  });
  it('JSON literals become plain values, variables included', () => {
    const ast = { kind: Kind.OBJECT, fields: [{ kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: 'a' }, value: { kind: Kind.LIST, values: [{ kind: Kind.INT, value: '1' }, { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'v' } }] } }] } as const;
    expect(JSONScalar.parseLiteral(ast as any, { v: 'x' })).toEqual({ a: [1, 'x'] });
  });
});
