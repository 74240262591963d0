/**
 * CORS from an allowlist of origins (`*` allows any). Allowed origins get their origin echoed and
 * may read the correlation and rate-limit headers; preflights are answered here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../platform/http.js';

const EXPOSED = ['X-Correlation-ID', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'].join(', ');
const DEFAULT_ALLOWED_HEADERS = 'Content-Type, Authorization, X-API-Key, X-Correlation-ID, Apollo-Require-Preflight, X-Apollo-Operation-Name';

/** True when `origin` may call the gateway from a browser. */
function originAllowed(origin: string, allowlist: readonly string[]): boolean {
  return allowlist.includes('*') || allowlist.includes(origin);
}

/**
 * Applies CORS headers. Returns true when the request was a preflight and has been answered.
 * A disallowed origin gets no CORS headers (the browser then refuses to expose the answer);
 * a disallowed preflight is refused with FORBIDDEN.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, allowlist: readonly string[], correlationId: string): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (!origin) return false;
  res.setHeader('Vary', 'Origin');
  if (!originAllowed(origin, allowlist)) {
    if (preflight) sendError(res, 'FORBIDDEN', 'This origin is not allowed', correlationId, `Origin '${origin}' is not on the gateway's CORS allowlist`);
    return preflight;
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', EXPOSED);
  if (!preflight) return false;
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': typeof requested === 'string' && /^[A-Za-z0-9\-_, ]{1,1000}$/.test(requested) ? requested : DEFAULT_ALLOWED_HEADERS,
    'Access-Control-Max-Age': '600',
  });
  res.end();
  return true;
}
