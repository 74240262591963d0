/**
 * Admission of one operation before it runs, for HTTP requests and graphql-ws subscribes alike:
 * the plugins' `buildContext` (HTTP), `onParams`, the parse (once, kept in `ctx.operation`) and
 * `onOperation`, in plugin order. A coded error from any of them refuses the operation; the plugins'
 * `onRefused` hear of it (to charge it, to audit it) before it is answered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { paramsFromUrl, type GraphQLParams, type OperationParser, type ParsedOperation } from './operation.js';
import type { GatewayContext, GatewayExtension, OperationAdmission } from './types.js';

/** True for the body of a batched request (an array of operations). */
const isBatch = (params: OperationAdmission['params']): params is readonly unknown[] => Array.isArray(params);

/** Runs the admission hooks of a gateway's plugins. */
export interface Admissions {
  /** Runs `onParams`, the parse and `onOperation` for one operation; throws the error that refuses it, after every plugin's `onRefused`. */
  admit(ctx: GatewayContext, admission: OperationAdmission): Promise<ParsedOperation | undefined>;
  /**
   * Admits one HTTP request to `/graphql`: `buildContext`, then (when a plugin has admission hooks)
   * the request's fields, from the body or, for GET, the query string. Throws the error that
   * refuses it, after every plugin's `onRefused`.
   */
  admitRequest(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<ParsedOperation | undefined>;
  /** Admits an operation that did not come over HTTP (no headers; finished once admitted or refused). */
  admitDetached(ctx: GatewayContext, init: { params: GraphQLParams; clientAddress: string }): Promise<ParsedOperation | undefined>;
}

/** Options of `createAdmissions`. */
export interface AdmissionsOptions {
  extensions: readonly GatewayExtension[];
  parser: OperationParser;
}

/** Creates the runner. Operations are parsed before execution only when a plugin has `onOperation`. */
export function createAdmissions({ extensions, parser }: AdmissionsOptions): Admissions {
  const parsesFirst = extensions.some((e) => e.onOperation !== undefined);
  const readsParams = parsesFirst || extensions.some((e) => e.onParams !== undefined);

  async function run(ctx: GatewayContext, admission: OperationAdmission, before?: () => Promise<void>): Promise<ParsedOperation | undefined> {
    try {
      await before?.();
      if (!readsParams) return undefined;
      for (const e of extensions) await e.onParams?.(admission, ctx);
      const { params } = admission;
      if (!parsesFirst || isBatch(params)) return undefined;
      const operation = parser.parse(params);
      admission.operation = operation;
      if (operation) ctx.operation = operation;
      for (const e of extensions) await e.onOperation?.(admission, ctx);
      return operation;
    } catch (err) {
      if (err instanceof GraphQLError) for (const e of extensions) await e.onRefused?.(err, admission, ctx);
      throw err;
    }
  }

  return {
    admit: (ctx, admission) => run(ctx, admission),
    admitRequest(ctx, req, res, body) {
      const admission: OperationAdmission = {
        params: body ?? {},
        transport: 'http',
        setHeaders: (headers) => {
          for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        },
        onFinished: (fn) => void res.once('close', () => void fn()),
      };
      return run(ctx, admission, async () => {
        for (const e of extensions) await e.buildContext?.(ctx, req, res, body);
        if (body === undefined && readsParams) admission.params = paramsFromUrl(req);
      });
    },
    async admitDetached(ctx, init) {
      const finished: Array<() => void | Promise<void>> = [];
      const admission: OperationAdmission = { ...init, transport: 'websocket', setHeaders: () => {}, onFinished: (fn) => void finished.push(fn) };
      try {
        return await run(ctx, admission);
      } finally {
        for (const fn of finished) await fn();
      }
    },
  };
}
