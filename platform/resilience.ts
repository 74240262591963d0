/**
 * The policy every call to an outside service (payments, calendar, email, CRM providers) runs
 * under, built on cockatiel:
 *
 * - each attempt has a timeout (its AbortSignal is handed to the call and aborted at the limit);
 * - transient failures (timeouts, network errors, HTTP 408, 429, 500, 502, 503, 504) are tried
 *   again with exponential backoff and full jitter, waiting at least what the service asked for
 *   in Retry-After; a Retry-After longer than the longest wait ends the retries at once;
 * - each destination has its own circuit breaker: after consecutive transient failures it opens,
 *   calls fail fast with BrokenCircuitError, and after a while one trial call decides whether it
 *   closes again.
 *
 * Other failures (a refused card, a validation error) are neither retried nor counted by the
 * breaker: they go straight to the caller. Retried calls must be safe to repeat (idempotency keys
 * where the service supports them).
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IExponentialBackoffOptions,
  type IRetryBackoffContext,
} from 'cockatiel';

export { BrokenCircuitError, TaskCancelledError };

export interface ResilienceOptions {
  /** How long one attempt may take. Default 10 000 ms. */
  timeoutMs?: number;
  /** Attempts after the first one. Default 3. */
  retries?: number;
  /** Upper bound of the first wait; it doubles with every attempt. Default 200 ms. */
  initialDelayMs?: number;
  /** Longest wait between attempts. Default 30 000 ms. */
  maxDelayMs?: number;
  /** Consecutive transient failures that open a destination's breaker. Default 5. */
  breakerThreshold?: number;
  /** How long an open breaker refuses calls before it lets one trial call through. Default 30 000 ms. */
  halfOpenAfterMs?: number;
  /** Whether a failure is transient: retried, and counted by the breaker. Default `isTransient`. */
  isTransient?: (err: unknown) => boolean;
  /** Told before each wait (for logs and tests). */
  onRetry?: (event: { destination: string; attempt: number; delayMs: number; error: unknown }) => void;
  /** Told when a destination's breaker changes state (for logs and metrics). */
  onBreakerChange?: (destination: string, state: BreakerState) => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Calls to outside services under timeout, retry and a breaker per destination. */
export interface Resilience {
  /**
   * Runs `call` for `destination` (a service name, e.g. `stripe`). `signal` stops further
   * attempts (shutdown, the caller went away).
   */
  execute<T>(destination: string, call: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The state of a destination's breaker (`closed` before its first call). */
  breakerState(destination: string): BreakerState;
}

const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/**
 * True for failures worth another attempt: a timed-out attempt, a network error (also as the
 * `cause` of a failed fetch), or an error whose `status`/`statusCode` is 408, 429, 500, 502, 503
 * or 504.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof TaskCancelledError) return true;
  const status = field(err, 'status') ?? field(err, 'statusCode');
  if (typeof status === 'number') return TRANSIENT_STATUSES.has(status);
  const code = field(err, 'code') ?? field(field(err, 'cause'), 'code');
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/**
 * The wait a `Retry-After` header asks for, in ms: delta-seconds or an HTTP date. Undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait a failure asked for: its `retryAfterMs`, set by the adapter from the answer's Retry-After. */
function retryAfterOf(err: unknown): number | undefined {
  const ms = field(err, 'retryAfterMs');
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Creates the policy; breakers are kept per destination for the life of the returned object. */
export function createResilience(opts: ResilienceOptions = {}): Resilience {
  const {
    timeoutMs = 10_000,
    retries = 3,
    initialDelayMs = 200,
    maxDelayMs = 30_000,
    breakerThreshold = 5,
    halfOpenAfterMs = 30_000,
    isTransient: transient = isTransient,
    onRetry,
    onBreakerChange,
  } = opts;
  const exponential: IExponentialBackoffOptions<number> = { generator: fullJitterGenerator, initialDelay: initialDelayMs, maxDelay: maxDelayMs, exponent: 2 };
  const failure = handleWhen((err) => !(err instanceof BrokenCircuitError) && transient(err));
  const worthRetrying = handleWhen((err) => !(err instanceof BrokenCircuitError) && transient(err) && (retryAfterOf(err) ?? 0) <= maxDelayMs);
  const perAttempt = timeout(timeoutMs, TimeoutStrategy.Aggressive);
  const breakers = new Map<string, CircuitBreakerPolicy>();

  function breakerFor(destination: string): CircuitBreakerPolicy {
    let breaker = breakers.get(destination);
    if (!breaker) {
      breaker = circuitBreaker(failure, { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(breakerThreshold) });
      if (onBreakerChange) breaker.onStateChange((state) => onBreakerChange(destination, STATES[state]));
      breakers.set(destination, breaker);
    }
    return breaker;
  }

  /** Full jitter over the exponential bound, but never less than the service's Retry-After. */
  const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>, number | undefined>((context, state) => {
    const [jittered, next] = fullJitterGenerator(state, exponential);
    const asked = 'error' in context.result ? retryAfterOf(context.result.error) : undefined;
    return { delay: Math.max(jittered, asked ?? 0), state: next };
  });

  return {
    execute(destination, call, signal) {
      const retrying = retry(worthRetrying, { maxAttempts: retries, backoff });
      if (onRetry) retrying.onRetry((event) => onRetry({ destination, attempt: event.attempt, delayMs: event.delay, error: 'error' in event ? event.error : event.value }));
      return wrap(retrying, breakerFor(destination), perAttempt).execute(({ signal: attempt }) => call(attempt), signal);
    },
    breakerState(destination) {
      const breaker = breakers.get(destination);
      return breaker ? STATES[breaker.state] : 'closed';
    },
  };
}
