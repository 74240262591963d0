/**
 * The scalars every subgraph declares identically: `DateTime` (ISO-8601 with offset) and `JSON`
 * (any JSON value).
 */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { appError } from '../../platform/errors.js';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_WITH_OFFSET.test(value)) {
    throw appError('BAD_USER_INPUT', 'DateTime must be an ISO-8601 date-time with offset', { details: `got '${String(value).slice(0, 40)}'` });
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw appError('BAD_USER_INPUT', 'DateTime is not a valid date', { details: `got '${value}'` });
  return d;
}

/** A stored date as an ISO-8601 string (UTC), for payloads and exports written as plain JSON; null for no date. */
export function isoOrNull(d: Date | string | null | undefined): string | null {
  return d ? new Date(d).toISOString() : null;
}

/** ISO-8601 date-time with offset; serialises Date values, parses into Date. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 date-time with offset',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string' || typeof value === 'number') {
      const d = new Date(value);
      if (!Number.isNaN(d.getTime())) return d.toISOString();
    }
    throw new TypeError(`DateTime cannot represent ${String(value)}`);
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw appError('BAD_USER_INPUT', 'DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables ? variables[ast.name.value] : undefined;
    default:
      throw appError('BAD_USER_INPUT', 'JSON value expected');
  }
}

/** Any JSON value, passed through as is. */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Arbitrary JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});

/** Resolver map entries for both scalars. */
export const scalarResolvers = { DateTime: DateTimeScalar, JSON: JSONScalar };
