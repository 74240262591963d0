/**
 * `useAudit`: the audit log at the edges (docs/security.md, Audit log). Every mutation is recorded
 * once its response is ready (without holding the response back), with the codes of its errors and
 * of the selections the shield denied; a mutation refused before it ran (limits, safelist) is
 * recorded with the refusal's code. `GET /admin/audit?limit=&after=` serves the log to admins
 * (JSON, newest first).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type OperationDefinitionNode } from 'graphql';
import { appError, isAppError } from '../../platform/errors.js';
import { sendError, sendJson } from '../../platform/http.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import { describeMutation, type AuditLog } from '../auth/audit.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { GatewayContext, GatewayExtension, GatewayRoute } from '../types.js';

const AUDIT_PATH = '/admin/audit';

/** Options of `useAudit`. */
export interface AuditOptions {
  audit: AuditLog;
  /** Verifies the credentials of `GET /admin/audit` (admins only). */
  authenticator: Pick<Authenticator, 'fromHeaders'>;
}

/** Writes one audit entry for a mutation. */
function auditMutation(audit: AuditLog, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined, who: { principal: Principal; correlationId: string }, errorCodes: string[]): Promise<void> {
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

/** `GET /admin/audit`: admins only. */
function auditRoute(audit: AuditLog, authenticator: Pick<Authenticator, 'fromHeaders'>): GatewayRoute {
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

/** Creates the plugin. The audit log's owner closes it. */
export function useAudit({ audit, authenticator }: AuditOptions): GatewayExtension {
  const who = (ctx: GatewayContext) => ({ principal: ctx.principal, correlationId: ctx.correlationId });
  const apolloPlugin: ApolloServerPlugin<GatewayContext> = {
    requestDidStart() {
      let operation: OperationDefinitionNode | undefined;
      return Promise.resolve({
        didResolveOperation(rc) {
          // Taken before any other plugin swaps the document: the operation as the caller sent it.
          operation = rc.operation;
          return Promise.resolve();
        },
        willSendResponse(rc) {
          if (operation?.operation !== OperationTypeNode.MUTATION) return Promise.resolve();
          const body = rc.response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : (body.initialResult.errors ?? []);
          const codeOf = (code: unknown) => (typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
          const codes = [...errors.map((e) => codeOf(e.extensions?.code)), ...(rc.contextValue.deniedCodes ?? [])];
          void auditMutation(audit, operation, rc.request.variables, who(rc.contextValue), codes);
          return Promise.resolve();
        },
      });
    },
  };

  return {
    name: 'audit',
    httpRoutes: [auditRoute(audit, authenticator)],
    apolloPlugins: [apolloPlugin],
    onRefused(error, admission, ctx) {
      // A mutation refused before it ran, once it was parsed (a rate-limit refusal is not recorded).
      const operation = admission.operation?.operation;
      const code = isAppError(error) ? error.extensions.code : undefined;
      if (operation?.operation !== OperationTypeNode.MUTATION || typeof code !== 'string' || code === 'RATE_LIMITED') return;
      void auditMutation(audit, operation, undefined, who(ctx), [code]);
    },
  };
}
