/**
 * The small HTTP layer shared by the gateway and the subgraphs: JSON body reading with a size limit,
 * spec-shaped error responses, and the bridge from Node's http request to Apollo Server's
 * `executeHTTPGraphQLRequest`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { errorExtensions, type ErrorCode } from './errors.js';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a well-formed incoming correlation id or generates a UUID. */
export function correlationIdOf(req: IncomingMessage): string {
  const raw = req.headers[CORRELATION_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && CORRELATION_RE.test(value) ? value : randomUUID();
}

/** Thrown by readBody; carries the spec error code to answer with. */
export class HttpError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details?: string) {
    super(message);
  }
}

/** Reads the request body up to `limit` bytes (413 beyond), as a string. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new HttpError('PAYLOAD_TOO_LARGE', 'The request body is too large', `The limit is ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      req.resume();
      throw new HttpError('PAYLOAD_TOO_LARGE', 'The request body is too large', `The limit is ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; malformed JSON is BAD_USER_INPUT. */
export function parseJson(body: string): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError('BAD_USER_INPUT', 'The request body is not valid JSON');
  }
}

/** Writes a GraphQL-shaped error response (`{ errors: [...] }`) in the spec's error format. */
export function sendError(res: ServerResponse, code: ErrorCode, message: string, correlationId: string, details?: string, headers: Record<string, string> = {}): void {
  const ext = { ...errorExtensions(code, message, { details }), correlationId };
  const body = JSON.stringify({ errors: [{ message, extensions: ext }] });
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(ext.status, { 'content-type': 'application/json; charset=utf-8', [CORRELATION_HEADER]: correlationId, ...headers });
  res.end(body);
}

/**
 * Writes a coded GraphQL error raised before execution (e.g. by an authentication or limit check)
 * as a response, keeping every spec field it carries (`target`, `details`, extra extensions).
 */
export function sendAppError(res: ServerResponse, err: GraphQLError, correlationId: string, headers: Record<string, string> = {}): void {
  const code = String(err.extensions.code) as ErrorCode;
  const ext = { ...errorExtensions(code, err.message), ...err.extensions, correlationId };
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(Number(ext.status) || 500, { 'content-type': 'application/json; charset=utf-8', [CORRELATION_HEADER]: correlationId, ...headers });
  res.end(JSON.stringify({ errors: [{ message: err.message, extensions: ext }] }));
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(value));
}

/** Apollo Server's view of a Node request: method, headers (repeated ones joined), query string and parsed body. */
export function toHttpGraphQLRequest(req: IncomingMessage, body: unknown): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  return { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body };
}

/**
 * Hands one HTTP request to Apollo Server. `body` is the parsed JSON body (or undefined for GET).
 * Response headers set by Apollo (and by plugins) are copied; `extraHeaders` are added.
 */
export async function executeApolloHttp<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  context: () => Promise<TContext>,
  extraHeaders: Record<string, string> = {},
): Promise<void> {
  const result = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: toHttpGraphQLRequest(req, body), context });
  const outHeaders: Record<string, string> = { ...extraHeaders };
  for (const [k, v] of result.headers) outHeaders[k] = v;
  res.writeHead(result.status ?? 200, outHeaders);
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}
