/**
 * The Apollo Server plugin that enforces the shield before the query plan runs.
 *
 * `didResolveOperation` authorizes every selected field. When something is denied:
 * - `partial` (default): the request continues with the pruned document, and its `queryHash` is
 *   replaced by the hash of the pruned text — @apollo/gateway keys its query-plan cache on
 *   `queryHash`, so a caller with fewer rights never reuses (nor poisons) a plan made for a caller
 *   with more. `willSendResponse` then answers the denied fields with null and an error at their
 *   path. When no root field is left, nothing is executed.
 * - `reject`: the whole operation is refused with one error per denied selection (401 when the
 *   caller is anonymous, 403 otherwise).
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext, type GraphQLRequestListener } from '@apollo/server';
import { buildASTSchema, getOperationAST, parse, print, printSchema, type DocumentNode, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { appError, toSpecError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import { authorizeDocument, type Authorization } from './authorize.js';
import { completeResult } from './complete.js';
import { createFieldGuard, type AccessRules, type FieldGuard, type IntrospectionPolicy } from './rules.js';

export interface ShieldState {
  /** Installs the rules of a newly loaded supergraph. */
  setRules(rules: AccessRules): void;
  /** The guard for an API schema with the current rules; throws while no rules are installed. */
  guardFor(schema: GraphQLSchema): FieldGuard;
  /**
   * A copy of the API schema without resolvers, for completing responses. Apollo Server wraps the
   * served schema's field resolvers for its plugins, which would bypass the completion's own.
   */
  completionSchemaFor(schema: GraphQLSchema): GraphQLSchema;
}

/** Holds the current rules and one guard per API schema (rebuilt when the rules change). */
export function createShieldState(introspection: IntrospectionPolicy): ShieldState {
  let rules: AccessRules | undefined;
  let guards = new WeakMap<GraphQLSchema, FieldGuard>();
  const copies = new WeakMap<GraphQLSchema, GraphQLSchema>();
  return {
    setRules(next) {
      rules = next;
      guards = new WeakMap();
    },
    guardFor(schema) {
      if (!rules) throw appError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its access rules yet');
      let guard = guards.get(schema);
      if (!guard) {
        guard = createFieldGuard(schema, rules, { introspection });
        guards.set(schema, guard);
      }
      return guard;
    },
    completionSchemaFor(schema) {
      let copy = copies.get(schema);
      if (!copy) {
        copy = buildASTSchema(parse(printSchema(schema)), { assumeValidSDL: true });
        copies.set(schema, copy);
      }
      return copy;
    },
  };
}

export interface ShieldPluginOptions<TContext extends BaseContext> {
  state: ShieldState;
  onDeny: 'partial' | 'reject';
  principalOf: (ctx: TContext) => Principal;
  correlationIdOf: (ctx: TContext) => string | undefined;
  /** Told about each operation with denied fields (e.g. for the audit log). */
  onDenied?: (ctx: TContext, auth: Authorization) => void;
}

/** The sha256 Apollo Server would compute for a query text. */
export function hashDocument(document: DocumentNode): string {
  return createHash('sha256').update(print(document)).digest('hex');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Creates the plugin. */
export function useShield<TContext extends BaseContext>(opts: ShieldPluginOptions<TContext>): ApolloServerPlugin<TContext> {
  const { state, onDeny, principalOf, correlationIdOf, onDenied } = opts;
  const format = (ctx: TContext, errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((e) => toSpecError(e.toJSON(), e, { correlationId: correlationIdOf(ctx) }));

  return {
    async requestDidStart(): Promise<GraphQLRequestListener<TContext>> {
      let auth: Authorization | undefined;

      async function complete(rc: GraphQLRequestContext<TContext>, data: Record<string, unknown> | null | undefined) {
        return completeResult(state.completionSchemaFor(rc.schema), auth as Authorization, data, rc.request.variables, rc.operationName);
      }

      return {
        async didResolveOperation(rc) {
          const guard = state.guardFor(rc.schema);
          auth = await authorizeDocument(rc.schema, guard, rc.document, principalOf(rc.contextValue), rc.operationName);
          if (auth.denials.length === 0) return;
          onDenied?.(rc.contextValue, auth);
          if (onDeny === 'reject' || !auth.document) return;
          const writable = rc as unknown as Mutable<GraphQLRequestContext<TContext>>;
          writable.document = auth.document;
          writable.queryHash = hashDocument(auth.document);
          writable.operation = getOperationAST(auth.document, rc.operationName) ?? undefined;
        },

        async responseForOperation(rc) {
          if (!auth || auth.denials.length === 0) return null;
          if (onDeny === 'reject') {
            const anonymous = principalOf(rc.contextValue).kind === 'anonymous';
            return {
              http: { status: anonymous ? 401 : 403, headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { errors: format(rc.contextValue, auth.errors) } },
            };
          }
          if (auth.document) return null;
          const { data, errors } = await complete(rc, {});
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data, errors: format(rc.contextValue, errors) } } };
        },

        async willSendResponse(rc) {
          if (!auth || auth.denials.length === 0 || onDeny === 'reject' || !auth.document) return;
          const body = rc.response.body;
          if (body.kind !== 'single') return;
          const { data, errors } = await complete(rc, body.singleResult.data);
          body.singleResult = { ...body.singleResult, data, errors: [...(body.singleResult.errors ?? []), ...format(rc.contextValue, errors)] };
        },
      };
    },
  };
}
