/**
 * graphql-shield rules built from the supergraph's access requirements, and the evaluator that asks
 * shield about one field of the API schema.
 *
 * A field's effective requirement joins (all must hold): the field's own `@authenticated` /
 * `@requiresScopes`, those of its parent type, of the type it returns, and of the interface fields it
 * implements. Each requirement becomes `and(authenticated, or(and(scope…)…))` from shield's own
 * constructors; every leaf rule is cached per operation (`cache: 'contextual'`), so a scope is
 * checked once however many fields need it. Shield's middleware is generated over the API schema and
 * invoked per field coordinate; a denial comes back as shield's fallback error, which names the
 * requirement. Introspection (`__schema`, `__type`) is guarded the same way through a one-field
 * meta schema, since shield only sees fields declared in a schema.
 */
import { GraphQLError, buildSchema, getNamedType, isInterfaceType, isObjectType, type GraphQLCompositeType, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { allow, and, deny, or, rule, shield, type IRule } from 'graphql-shield';
import type { IMiddlewareFunction } from 'graphql-middleware';
import { appError } from '../../platform/errors.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import { describeRequirement, mergeRequirements, type AccessRequirement } from '../access.js';

type ShieldRule = ReturnType<typeof and> | IRule;

/** Access requirement per schema coordinate (`Type` or `Type.field`), as prepareSupergraph reads them. */
export type AccessRules = ReadonlyMap<string, AccessRequirement>;

/** Who may introspect the schema: everyone, callers with schema:read, or nobody. */
export type IntrospectionPolicy = 'on' | 'off' | 'scoped';

/** Per-operation evaluation context: the caller and shield's rule cache. */
export interface ShieldContext {
  principal: Principal;
  _shield?: { cache: Record<string, unknown> };
}

/** Asks the rules about one field, or about introspection. */
export interface FieldGuard {
  /** Null when the caller may select `type.field`; otherwise the error to answer with. */
  check(type: GraphQLObjectType, field: string, ctx: ShieldContext): Promise<GraphQLError | null>;
  /** Null when the caller may introspect the schema. */
  checkIntrospection(ctx: ShieldContext): Promise<GraphQLError | null>;
  /** The effective requirement of an object field (undefined when anyone may select it). */
  requirementOf(type: string, field: string): AccessRequirement | undefined;
}

/** Options of `createFieldGuard`. */
export interface FieldGuardOptions {
  /** The API schema the guard answers for. */
  schema: GraphQLSchema;
  rules: AccessRules;
  introspection: IntrospectionPolicy;
}

const ALLOWED = Symbol('allowed');
const META_SCHEMA = buildSchema('type Query { introspection: Boolean }');

/** Creates a new, empty shield context for one operation. */
export function shieldContext(principal: Principal): ShieldContext {
  return { principal, _shield: { cache: {} } };
}

function requirementKey(req: AccessRequirement): string {
  return JSON.stringify([req.authenticated, req.scopes]);
}

/** Joins the requirements that apply to `type.field` (see the module comment). */
function effectiveRequirement(rules: AccessRules, type: GraphQLObjectType, field: string): AccessRequirement | undefined {
  const def = type.getFields()[field];
  if (!def) throw new Error(`${type.name}.${field} is not a field of the schema`);
  const parts = [rules.get(`${type.name}.${field}`), rules.get(type.name), rules.get(getNamedType(def.type).name)];
  for (const iface of type.getInterfaces()) {
    if (iface.getFields()[field]) parts.push(rules.get(`${iface.name}.${field}`), rules.get(iface.name));
  }
  let out: AccessRequirement | undefined;
  for (const part of parts) if (part) out = mergeRequirements(out, part);
  return out && (out.authenticated || (out.scopes && out.scopes.length > 0)) ? out : undefined;
}

/** Builds the guard for one API schema and rule map. */
export function createFieldGuard({ schema, rules, introspection }: FieldGuardOptions): FieldGuard {
  const leaves = new Map<string, IRule>();
  const leaf = (name: string, check: (p: Principal) => boolean): IRule => {
    let r = leaves.get(name);
    if (!r) {
      r = rule(name, { cache: 'contextual' })((_parent: unknown, _args: unknown, ctx: ShieldContext) => check(ctx.principal));
      leaves.set(name, r);
    }
    return r;
  };
  const authenticated = () => leaf('authenticated', (p) => p.kind !== 'anonymous');
  const scope = (s: string) => leaf(`scope:${s}`, (p) => hasScope(p, s));

  const compiled = new Map<string, ShieldRule>();
  const ruleOf = (req: AccessRequirement): ShieldRule => {
    const key = requirementKey(req);
    let r = compiled.get(key);
    if (!r) {
      const parts: ShieldRule[] = [];
      if (req.authenticated) parts.push(authenticated());
      if (req.scopes) parts.push(req.scopes.length === 0 ? deny : or(...req.scopes.map((all) => and(...all.map(scope)))));
      const [single, ...more] = parts;
      r = single && more.length === 0 ? single : and(...parts);
      compiled.set(key, r);
    }
    return r;
  };

  const requirements = new Map<string, AccessRequirement>();
  const tree: Record<string, Record<string, ShieldRule>> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.keys(type.getFields())) {
      const req = effectiveRequirement(rules, type, field);
      if (!req) continue;
      requirements.set(`${type.name}.${field}`, req);
      (tree[type.name] ??= {})[field] = ruleOf(req);
    }
  }

  const fallbackError = (_thrown: unknown, _parent: unknown, _args: unknown, context: object, info: GraphQLResolveInfo): GraphQLError => {
    const ctx = context as ShieldContext;
    const coordinate = `${info.parentType.name}.${info.fieldName}`;
    const introspecting = info.parentType.name === 'Query' && info.fieldName === 'introspection' && info.schema === META_SCHEMA;
    const details = introspecting
      ? introspection === 'off'
        ? 'Schema introspection is turned off'
        : 'Schema introspection requires the schema:read scope'
      : `${coordinate}: ${describeRequirement(requirements.get(coordinate) ?? { authenticated: true, scopes: null }) ?? 'Requires authentication.'}`;
    return appError(ctx.principal.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN', undefined, { details });
  };
  const options = { debug: false, allowExternalErrors: false, fallbackRule: allow, fallbackError, hashFunction: ({ args }: { args: unknown }) => JSON.stringify(args) };
  const middleware = shield(tree, options).generate(schema) as Record<string, Record<string, IMiddlewareFunction>>;
  const introspectionRule = introspection === 'on' ? allow : introspection === 'off' ? deny : scope('schema:read');
  const metaMiddleware = shield({ Query: { introspection: introspectionRule } }, options).generate(META_SCHEMA) as Record<string, Record<string, IMiddlewareFunction>>;
  const introspectionCheck = metaMiddleware.Query?.introspection;
  if (!introspectionCheck) throw new Error('the introspection rule compiled to no middleware');

  async function run(mw: IMiddlewareFunction | undefined, info: GraphQLResolveInfo, ctx: ShieldContext): Promise<GraphQLError | null> {
    const fn = typeof mw === 'function' ? mw : mw?.resolve;
    if (!fn) return null;
    const result: unknown = await fn(() => ALLOWED, undefined, {}, ctx, info);
    if (result === ALLOWED) return null;
    return result instanceof GraphQLError ? result : fallbackError(result, undefined, {}, ctx, info);
  }

  /** The part of GraphQLResolveInfo the rules and the fallback error read. */
  const infoFor = (s: GraphQLSchema, parentType: GraphQLObjectType, fieldName: string) => ({ schema: s, parentType, fieldName }) as unknown as GraphQLResolveInfo;
  const metaQuery = META_SCHEMA.getQueryType() as GraphQLObjectType;

  return {
    check: (type, field, ctx) => run(middleware[type.name]?.[field], infoFor(schema, type, field), ctx),
    checkIntrospection: (ctx) => run(introspectionCheck, infoFor(META_SCHEMA, metaQuery, 'introspection'), ctx),
    requirementOf: (type, field) => requirements.get(`${type}.${field}`),
  };
}

/** The object types a field selected on `type` may run on: itself, or every implementation of an interface. */
export function possibleObjectTypes(schema: GraphQLSchema, type: GraphQLCompositeType): readonly GraphQLObjectType[] {
  if (isObjectType(type)) return [type];
  if (isInterfaceType(type)) return schema.getPossibleTypes(type);
  return [];
}
