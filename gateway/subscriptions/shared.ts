/**
 * Shared subscriptions: every distinct subscription (see `key.ts`) has one upstream subscription to
 * the owning subgraph and runs its per-event plan once per event; the payload is serialised once
 * and the same text goes to every subscriber.
 *
 * Resuming: the shared subscription remembers the cursor of the last event it received. When the
 * subgraph connection drops (subgraph restart, network), it resubscribes with backoff and
 * `after: <that cursor>`, so subscribers see neither a gap nor a duplicate. The same mechanism
 * bounds memory when plan execution falls behind the upstream: past `maxPendingEvents` the
 * upstream is paused, the backlog is worked off, and the subscription resumes from its cursor
 * (the subgraph replays from its outbox).
 */
import type { DocumentNode, ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { buildOperationContext } from '@apollo/gateway';
import pLimit from 'p-limit';
import { toSpecError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Principal, PrincipalSigner } from '../../platform/principal.js';
import { executeEvent, type EventInput } from './execute.js';
import { FanOut, type FanOutTarget } from './fanout.js';
import type { Authorized } from './prepare.js';
import { CURSOR_ALIAS, type SubscriptionPlan } from './plan.js';
import type { SchemaState } from './schema.js';
import type { UpstreamPool } from './upstream.js';

/** One client subscription, as the shared subscription sees it. */
export interface Subscriber extends FanOutTarget {
  /** Ends the subscription: `complete` without errors, an `error` message with them. */
  end(errors?: readonly GraphQLFormattedError[]): void;
}

/** What defines one distinct subscription. */
export interface SharedSpec {
  key: string;
  state: SchemaState;
  plan: SubscriptionPlan;
  document: DocumentNode;
  operationName: string | undefined;
  /** Coerced variables of the client operation. */
  variables: Record<string, unknown>;
  principal: Principal;
  correlationId: string;
  /** Shapes each event for the caller's rights (denied selections null with errors). */
  complete?: Authorized['complete'];
}

/** Counters for tests and benchmarks. */
export interface SharedCounters {
  upstreamOpened: number;
  upstreamResubscribed: number;
  planExecutions: number;
  eventsDelivered: number;
  /** Time spent writing payloads to subscriber sockets, in ms. */
  fanOutMs: number;
  /** Socket writes made by fan-out passes (one carries every event a subscriber had pending). */
  socketWrites: number;
}

/** What a shared subscription needs from the endpoint. */
export interface SharedDeps {
  pool: UpstreamPool;
  /** Signs the subscriber's principal into the upstream subscription. */
  signer: PrincipalSigner;
  logger: Logger;
  counters: SharedCounters;
  exposeErrors: boolean;
  /** Events received but not yet executed before the upstream is paused. Default 1000. */
  maxPendingEvents?: number;
  /** Fan-out passes start at most this often (events in between share a socket write). */
  minPassIntervalMs?: number;
  /** First and longest delay between resubscribe attempts. Default 100 ms / 5 s. */
  backoffMs?: { min: number; max: number };
}

/** Per-event plans of one shared subscription executing at the same time. */
const PARALLEL_EXECUTIONS = 8;

function isRetryableErrors(errors: readonly GraphQLFormattedError[]): boolean {
  return errors.length > 0 && errors.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE');
}

/** Options of a `SharedSubscription`. */
export interface SharedSubscriptionOptions {
  spec: SharedSpec;
  deps: SharedDeps;
  /** Told once when the subscription has closed (its last subscriber left, or it failed). */
  onClosed: () => void;
}

/** One distinct subscription: its upstream subscription, per-event plan and subscribers. */
export class SharedSubscription {
  readonly subscribers = new Set<Subscriber>();
  private cursor: string | null;
  private payload: SubscribePayload | undefined;
  private unsubscribe: (() => void) | undefined;
  private generation = 0;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pending = 0;
  private paused = false;
  private closed = false;
  /** True once the current upstream subscription delivered an event. */
  private streaming = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly slots = pLimit(PARALLEL_EXECUTIONS);
  private readonly fanOut: FanOut;
  private readonly eventInput: EventInput;

  private readonly spec: SharedSpec;
  private readonly deps: SharedDeps;
  private readonly onClosed: () => void;

  constructor({ spec, deps, onClosed }: SharedSubscriptionOptions) {
    this.spec = spec;
    this.deps = deps;
    this.onClosed = onClosed;
    const { plan, variables, document, operationName, state } = spec;
    this.cursor = plan.afterVariable ? (plan.afterLiteral ?? (typeof variables[plan.afterVariable] === 'string' ? (variables[plan.afterVariable] as string) : null)) : null;
    this.eventInput = {
      state,
      plan,
      document,
      operationContext: buildOperationContext({ schema: state.apiGraphQLSchema, operationDocument: document, operationName }),
      variables,
      context: () => state.sources.contextFor(spec.principal, spec.correlationId),
      correlationId: spec.correlationId,
      logger: deps.logger,
      exposeErrors: deps.exposeErrors,
      complete: spec.complete,
    };
    this.fanOut = new FanOut({
      subscribers: this.subscribers,
      onWritten: (events, ms, writes) => {
        deps.counters.eventsDelivered += events;
        deps.counters.fanOutMs += ms;
        deps.counters.socketWrites += writes;
      },
      minPassIntervalMs: deps.minPassIntervalMs,
    });
    deps.counters.upstreamOpened++;
    void this.connect();
  }

  /** Adds a subscriber; it receives the events that follow. */
  add(subscriber: Subscriber): void {
    this.fanOut.join(subscriber);
    this.subscribers.add(subscriber);
  }

  private async connect(): Promise<void> {
    const { plan, variables, correlationId } = this.spec;
    const upstreamVariables: Record<string, unknown> = {};
    for (const name of plan.variableUsages) if (name in variables) upstreamVariables[name] = variables[name];
    if (plan.afterVariable) upstreamVariables[plan.afterVariable] = this.cursor;
    let principal: string;
    try {
      principal = await this.deps.signer.sign(this.spec.principal);
    } catch (err) {
      this.deps.logger.error({ err }, 'could not sign the subscription principal');
      return this.close([{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    }
    if (this.closed || this.paused) return;
    const generation = ++this.generation;
    this.streaming = false;
    const payload: SubscribePayload = { query: plan.upstreamQuery, operationName: plan.upstreamOperationName, variables: upstreamVariables, extensions: { principal, correlationId } };
    this.payload = payload;
    const current = () => generation === this.generation && !this.closed;
    try {
      this.unsubscribe = this.deps.pool.subscribe(plan.serviceName, payload, {
        next: (result) => current() && this.onEvent(result),
        error: (err) => current() && this.onUpstreamError(err),
        complete: () => current() && this.close(),
      });
    } catch (err) {
      this.onUpstreamError(err);
    }
  }

  private stopUpstream(): void {
    this.generation++;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    unsubscribe?.();
  }

  private onUpstreamError(err: unknown): void {
    if (Array.isArray(err) && !isRetryableErrors(err as GraphQLFormattedError[])) {
      const errors = (err as GraphQLFormattedError[]).map((e) => toSpecError(e, e, { correlationId: this.spec.correlationId, exposeUnexpected: this.deps.exposeErrors }));
      return this.close(errors);
    }
    // The connection dropped or the subgraph is going away: resume from the last cursor.
    this.stopUpstream();
    const { min, max } = this.deps.backoffMs ?? { min: 100, max: 5_000 };
    const delay = Math.min(max, min * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts++;
    this.deps.logger.info({ subgraph: this.spec.plan.serviceName, delay: Math.round(delay), resumable: Boolean(this.spec.plan.afterVariable) }, 'resubscribing to subgraph');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.deps.counters.upstreamResubscribed++;
      void this.connect();
    }, delay);
  }

  private onEvent(result: ExecutionResult): void {
    const root = result.data?.[this.spec.plan.rootKey] as Record<string, unknown> | null | undefined;
    if (!this.streaming && !root && result.errors?.length) {
      // A data-less first result is the subgraph refusing the subscription (bad cursor, rights).
      return this.onUpstreamError(result.errors.map((e) => ('toJSON' in e && typeof e.toJSON === 'function' ? e.toJSON() : e)));
    }
    this.streaming = true;
    this.attempts = 0;
    let cursor: string | undefined;
    if (root && typeof root === 'object' && typeof root[CURSOR_ALIAS] === 'string') {
      cursor = root[CURSOR_ALIAS];
      delete root[CURSOR_ALIAS];
      this.cursor = cursor;
      // An automatic resubscribe of this payload by the client library resumes from here too.
      if (this.payload?.variables && this.spec.plan.afterVariable) this.payload.variables[this.spec.plan.afterVariable] = cursor;
    }
    this.pending++;
    if (!this.paused && this.spec.plan.afterVariable && this.pending > (this.deps.maxPendingEvents ?? 1000)) {
      this.paused = true;
      this.stopUpstream();
    }
    // Plans of several events run at once (their fetches overlap); payloads go out in event order.
    const executed = this.slots(() => this.execute(result, cursor));
    this.chain = this.chain.then(() => this.emit(executed));
  }

  private async execute(result: ExecutionResult, cursor: string | undefined): Promise<string | undefined> {
    if (this.closed) return undefined;
    this.deps.counters.planExecutions++;
    return JSON.stringify(await executeEvent(this.eventInput, result, cursor));
  }

  private async emit(executed: Promise<string | undefined>): Promise<void> {
    try {
      const json = await executed;
      if (this.closed || json === undefined) return;
      this.fanOut.push(json);
    } catch (err) {
      this.deps.logger.error({ err }, 'subscription event dropped');
    } finally {
      this.pending--;
      if (this.paused && this.pending === 0 && !this.closed) {
        this.paused = false;
        void this.connect();
      }
    }
  }

  /** Ends the shared subscription and every subscriber (with errors, or completed). */
  close(errors?: readonly GraphQLFormattedError[]): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stopUpstream();
    const subs = [...this.subscribers];
    // What was already executed reaches every subscriber before its `complete` or `error`.
    for (const s of subs) this.fanOut.flush(s);
    this.fanOut.close();
    this.subscribers.clear();
    for (const s of subs) s.end(errors);
    this.onClosed();
  }
}
