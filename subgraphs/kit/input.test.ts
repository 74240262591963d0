import { describe, expect, it } from 'vitest';
import { assertSafeJson, escapeRegex, mapDbError, requireEmail, requireOutboundUrl } from './input.js';

const targetOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err: any) {
    return err.extensions?.target;
  }
  return 'no error';
};

describe('input checks', () => {
  it('outbound URLs: https anywhere, http only on loopback, no credentials', () => {
    expect(requireOutboundUrl('https://example.com/hook', 'u')).toBe('https://example.com/hook');
    expect(requireOutboundUrl('http://127.0.0.1:8080/x', 'u')).toBe('http://127.0.0.1:8080/x');
    expect(targetOf(() => requireOutboundUrl('http://example.com', 'input.url'))).toBe('input.url');
    expect(targetOf(() => requireOutboundUrl('https://user:pw@example.com', 'input.url'))).toBe('input.url');
    expect(targetOf(() => requireOutboundUrl(42, 'input.url'))).toBe('input.url');
  });
  it('free-form JSON: operator-like and dotted keys are refused at their path', () => {
    expect(() => assertSafeJson({ a: [1, { b: 'c' }], d: null }, 'cfg')).not.toThrow();
    expect(targetOf(() => assertSafeJson({ a: { $gt: 1 } }, 'cfg'))).toBe('cfg.a.$gt');
    expect(targetOf(() => assertSafeJson({ 'a.b': 1 }, 'cfg'))).toBe('cfg.a.b');
    expect(targetOf(() => assertSafeJson({ a: [{ b: Infinity }] }, 'cfg'))).toBe('cfg.a.0.b');
    expect(targetOf(() => assertSafeJson({ a: new Date() }, 'cfg'))).toBe('cfg.a');
  });
  it('emails are lower-cased; regex escaping keeps search literal', () => {
    expect(requireEmail(' Ada@Example.COM ', 'e')).toBe('ada@example.com');
    expect(targetOf(() => requireEmail('ada@', 'input.email'))).toBe('input.email');
    expect(new RegExp(escapeRegex('a.*(b)')).test('a.*(b)')).toBe(true);
    expect(new RegExp(escapeRegex('a.*')).test('abc')).toBe(false);
  });
  it('maps duplicate keys to CONFLICT on the input field of the index', () => {
    const fromPattern: any = mapDbError({ code: 11000, keyPattern: { email: 1 }, message: 'E11000' }, { conflicts: { email: 'input.email' } });
    expect(fromPattern.extensions).toMatchObject({ code: 'CONFLICT', target: 'input.email' });
    const fromMessage: any = mapDbError({ code: 11000, message: 'E11000 duplicate key error index: slug_1 dup key' }, { conflicts: { slug: 'input.slug' } });
    expect(fromMessage.extensions.target).toBe('input.slug');
    const other = new Error('boom');
    expect(mapDbError(other)).toBe(other);
  });
});
