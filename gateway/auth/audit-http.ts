/**
 * The audit log at the edges: an Apollo plugin that records every mutation with its outcome, and
 * `GET /admin/audit?limit=&after=` for admins (JSON, newest first).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { appError } from '../../platform/errors.js';
import { sendError, sendJson } from '../../platform/http.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import type { GatewayRoute } from '../types.js';
import { describeMutation, type AuditLog } from './audit.js';
import type { Authenticator } from './authenticate.js';

export const AUDIT_PATH = '/admin/audit';

/** Writes one audit entry for a mutation (shared by the plugin and the request gate). */
export function auditMutation(
  audit: AuditLog,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  who: { principal: Principal; correlationId: string },
  errorCodes: string[],
): Promise<void> {
  const { fields, ids } = describeMutation(operation, variables);
  const { kind, sub, clientId } = who.principal;
  return audit.record({
    at: new Date(),
    correlationId: who.correlationId,
    actor: { kind, sub, ...(clientId ? { clientId } : {}) },
    operationName: operation.name?.value ?? null,
    fields,
    ids,
    outcome: errorCodes.length === 0 ? 'ok' : 'error',
    errorCodes: [...new Set(errorCodes)],
  });
}

export interface AuditPluginOptions<TContext extends BaseContext> {
  audit: AuditLog;
  who: (ctx: TContext) => { principal: Principal; correlationId: string };
  /** Error codes decided outside the response body (e.g. fields denied by the shield). */
  extraCodes?: (ctx: TContext) => string[];
}

/** Records each mutation once its response is ready (without holding the response back). */
export function useAudit<TContext extends BaseContext>({ audit, who, extraCodes = () => [] }: AuditPluginOptions<TContext>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      let operation: OperationDefinitionNode | undefined;
      return {
        async didResolveOperation(rc) {
          // Taken before any other plugin swaps the document: the operation as the caller sent it.
          operation = rc.operation;
        },
        async willSendResponse(rc) {
          if (!operation || operation.operation !== 'mutation') return;
          const body = rc.response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : (body.initialResult.errors ?? []);
          const codes = [...errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')), ...extraCodes(rc.contextValue)];
          void auditMutation(audit, operation, rc.request.variables, who(rc.contextValue), codes);
        },
      };
    },
  };
}

/** `GET /admin/audit`: admins only. */
export function createAuditRoute(audit: AuditLog, authenticator: Authenticator): GatewayRoute {
  return async (req, res, { correlationId }) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== AUDIT_PATH) return false;
    if ((req.method ?? 'GET').toUpperCase() !== 'GET') {
      sendError(res, 'BAD_USER_INPUT', 'Method not allowed', correlationId, 'Use GET', { allow: 'GET' });
      return true;
    }
    const { principal } = await authenticator.fromHeaders(req.headers);
    if (principal.kind === 'anonymous') throw appError('UNAUTHENTICATED', 'Authentication is required', { details: 'The audit log is for admins' });
    if (!hasScope(principal, 'admin')) throw appError('FORBIDDEN', 'You are not allowed to do this', { details: 'The audit log requires the admin scope' });
    const rawLimit = url.searchParams.get('limit');
    const limit = rawLimit === null ? 50 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw appError('BAD_USER_INPUT', 'The input is invalid', { target: 'limit', details: 'limit must be an integer from 1 to 500' });
    const after = url.searchParams.get('after') ?? undefined;
    if (after !== undefined && !/^[0-9a-f]{24}$/i.test(after)) throw appError('BAD_USER_INPUT', 'The input is invalid', { target: 'after', details: 'after must be the next cursor of a previous page' });
    sendJson(res, 200, await audit.list({ limit, after }), { 'cache-control': 'no-store', 'x-correlation-id': correlationId });
    return true;
  };
}
