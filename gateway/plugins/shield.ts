/**
 * `useShield`: scope rules for every field before the query plan runs (graphql-shield over the
 * supergraph's `@authenticated` / `@requiresScopes`, see `gateway/shield/`), and the introspection
 * gate (`INTROSPECTION`: on, scoped to schema:read, off).
 *
 * Once Apollo Server has resolved the operation, every selected field is authorized. When
 * something is denied:
 * - `partial` (default): the request continues with the pruned document, and its `queryHash` is
 *   replaced by the hash of the pruned text — @apollo/gateway keys its query-plan cache on
 *   `queryHash`, so a caller with fewer rights never reuses (nor poisons) a plan made for a caller
 *   with more. The response is then completed from what that execution produced: the denied
 *   fields are null with an error at their path. When no root field is left, nothing is executed.
 * - `reject`: the whole operation is refused with one error per denied selection (401 when the
 *   caller is anonymous, 403 otherwise).
 * The same rules apply to subscriptions through `authorize` (the subscription endpoint's hook).
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestListener } from '@apollo/server';
import { getOperationAST, print, type DocumentNode, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { appError, toSpecError } from '../../platform/errors.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import { authorizeDocument, type Authorization } from '../shield/authorize.js';
import { completeResult } from '../shield/complete.js';
import { createFieldGuard, type AccessRules, type FieldGuard, type IntrospectionPolicy } from '../shield/rules.js';
import type { Authorize } from '../subscriptions/prepare.js';
import type { GatewayContext, GatewayExtension } from '../types.js';

/** Options of `useShield`. */
export interface ShieldOptions {
  /** `on`: everyone; `scoped`: schema:read (or admin); `off`: nobody. */
  introspection: IntrospectionPolicy;
  /** What a denial does to the operation (see the module comment). Default `partial`. */
  onDeny?: 'partial' | 'reject';
}

/** The shield plugin and its rules for subscriptions. */
export interface ShieldPlugin extends GatewayExtension {
  /** Authorizes a subscription with the served schema's rules (the subscription endpoint's `authorize` hook). */
  authorize: Authorize;
  revealsSchema(principal: Principal): boolean;
}

/** The sha256 Apollo Server would compute for a query text. */
function hashDocument(document: DocumentNode): string {
  return createHash('sha256').update(print(document)).digest('hex');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Creates the plugin. */
export function useShield({ introspection, onDeny = 'partial' }: ShieldOptions): ShieldPlugin {
  let schema: GraphQLSchema | undefined;
  let rules: AccessRules | undefined;
  let guards = new WeakMap<GraphQLSchema, FieldGuard>();

  /** The guard for an API schema with the current rules (one per schema, rebuilt when the rules change). */
  function guardFor(apiSchema: GraphQLSchema): FieldGuard {
    if (!rules) throw appError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its access rules yet');
    let guard = guards.get(apiSchema);
    if (!guard) {
      guard = createFieldGuard({ schema: apiSchema, rules, introspection });
      guards.set(apiSchema, guard);
    }
    return guard;
  }

  const format = (ctx: GatewayContext, errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((e) => toSpecError(e.toJSON(), e, { correlationId: ctx.correlationId }));

  const apolloPlugin: ApolloServerPlugin<GatewayContext> = {
    requestDidStart(): Promise<GraphQLRequestListener<GatewayContext>> {
      let auth: Authorization | undefined;
      const complete = (rc: GraphQLRequestContext<GatewayContext>, data: Record<string, unknown> | null | undefined) =>
        completeResult(rc.schema, auth as Authorization, data, rc.request.variables, rc.operationName);

      return Promise.resolve({
        async didResolveOperation(rc) {
          auth = await authorizeDocument(rc.schema, guardFor(rc.schema), rc.document, rc.contextValue.principal, rc.operationName);
          if (auth.denials.length === 0) return;
          rc.contextValue.deniedCodes = auth.denials.map((d) => String(d.error.extensions.code));
          if (onDeny === 'reject' || !auth.document) return;
          const writable = rc as unknown as Mutable<GraphQLRequestContext<GatewayContext>>;
          writable.document = auth.document;
          writable.queryHash = hashDocument(auth.document);
          writable.operation = getOperationAST(auth.document, rc.operationName) ?? undefined;
        },

        responseForOperation(rc) {
          if (!auth || auth.denials.length === 0) return Promise.resolve(null);
          if (onDeny === 'reject') {
            const anonymous = rc.contextValue.principal.kind === 'anonymous';
            return Promise.resolve({
              http: { status: anonymous ? 401 : 403, headers: new HeaderMap() },
              body: { kind: 'single' as const, singleResult: { errors: format(rc.contextValue, auth.errors) } },
            });
          }
          if (auth.document) return Promise.resolve(null);
          const { data, errors } = complete(rc, {});
          return Promise.resolve({ http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single' as const, singleResult: { data, errors: format(rc.contextValue, errors) } } });
        },

        willSendResponse(rc) {
          const body = rc.response.body;
          if (!auth || auth.denials.length === 0 || onDeny === 'reject' || !auth.document || body.kind !== 'single') return Promise.resolve();
          const { data, errors } = complete(rc, body.singleResult.data);
          body.singleResult = { ...body.singleResult, data, errors: [...(body.singleResult.errors ?? []), ...format(rc.contextValue, errors)] };
          return Promise.resolve();
        },
      });
    },
  };

  return {
    name: 'shield',
    gatesIntrospection: true,
    revealsSchema: (principal) => introspection === 'on' || (introspection === 'scoped' && hasScope(principal, 'schema:read')),
    apolloPlugins: [apolloPlugin],
    onSchemaChange(next, prepared) {
      schema = next;
      rules = prepared.rules;
      guards = new WeakMap();
    },
    async authorize({ principal, document, operationName, variables }) {
      if (!schema) throw appError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet');
      const current = schema;
      const auth = await authorizeDocument(current, guardFor(current), document, principal, operationName);
      if (auth.errors.length === 0) return { document };
      if (onDeny === 'reject' || !auth.document) return auth.errors;
      return { document: auth.document, complete: (data) => Promise.resolve(completeResult(current, auth, data, variables, operationName)) };
    },
  };
}
