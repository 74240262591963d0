/**
 * One client subscription on a gateway WebSocket. graphql-ws runs the protocol (init, subscribe,
 * complete, errors, close codes); events bypass its per-client serialisation: the shared
 * subscription serialises each payload once and this writes `{"id":…,"type":"next","payload":…}`
 * around those same bytes, as WebSocket frames, straight to the socket (see `fanout.ts`).
 *
 * To graphql-ws this object is the subscription's async iterator. It never yields: `next()`
 * settles only when the subscription ends, `done` (graphql-ws then sends `complete`) or rejected
 * with SubscriptionEnded (graphql-ws then sends `error` with its errors).
 */
import type { GraphQLFormattedError } from 'graphql';
import type WebSocket from 'ws';
import { SubscriptionEnded } from './errors.js';
import { writeNextFrames } from './fanout.js';
import type { Subscriber } from './shared.js';

/** Close codes of the gateway's WebSocket endpoint beyond graphql-ws's own. */
export const GatewayCloseCode = {
  /** The socket's pending output passed the limit (a slow reader): reconnect and resume with `after`. */
  SlowConsumer: 4429,
  /** The credentials of the connection expired (same code graphql-ws uses for a refused init). */
  CredentialsExpired: 4403,
  /** The gateway is shutting down (subscriptions were completed first). */
  GoingAway: 1001,
} as const;

/** The socket of a subscriber and what to do when it falls behind. */
export interface SubscriberSocket {
  socket: WebSocket;
  /** Pending output allowed on the socket before it is closed as a slow consumer. */
  maxBufferedBytes: number;
  /** Called when the socket is over the limit (closes it as a slow consumer). */
  onOverflow: () => void;
}

type Settle = { resolve: (r: IteratorResult<never>) => void; reject: (e: unknown) => void };

/** Options of a `ClientSubscription`. */
export interface ClientSubscriptionOptions {
  /** The graphql-ws id of the subscription on its socket. */
  id: string;
  output: SubscriberSocket;
  /** Told once when the subscription has ended. */
  onFinished: (sub: ClientSubscription) => void;
}

/** One client's subscription: the async iterator graphql-ws reads, and the subscriber the fan-out writes ready-made frames to. */
export class ClientSubscription implements Subscriber, AsyncIterableIterator<never> {
  private readonly prefix: Buffer;
  /** Events of the shared subscription written to this subscriber (kept by the fan-out). */
  position = 0;
  /** True when the last write left output queued on the socket (its reader is behind). */
  private backlog = false;
  private waiting: Settle | undefined;
  private outcome: { errors?: readonly GraphQLFormattedError[] } | undefined;
  /** Leaves the shared subscription; set once joined. */
  leave: (() => void) | undefined;

  private readonly out: SubscriberSocket;
  private readonly onFinished: (sub: ClientSubscription) => void;

  constructor({ id, output, onFinished }: ClientSubscriptionOptions) {
    this.out = output;
    this.onFinished = onFinished;
    this.prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  }

  get ended(): boolean {
    return this.outcome !== undefined;
  }

  write(payloads: readonly Buffer[], from: number): void {
    if (this.ended || from >= payloads.length) return;
    const { socket, maxBufferedBytes } = this.out;
    if (socket.readyState !== socket.OPEN) return;
    // The socket's pending output is looked at only once a write has left some queued.
    if (this.backlog && socket.bufferedAmount > maxBufferedBytes) {
      this.out.onOverflow();
      return;
    }
    this.backlog = !writeNextFrames(socket, this.prefix, payloads, from);
  }

  end(errors?: readonly GraphQLFormattedError[]): void {
    if (this.ended) return;
    this.outcome = errors?.length ? { errors } : {};
    this.leave = undefined;
    this.settle();
  }

  private settle(): void {
    const w = this.waiting;
    if (!w || !this.outcome) return;
    this.waiting = undefined;
    this.onFinished(this);
    if (this.outcome.errors) w.reject(new SubscriptionEnded(this.outcome.errors));
    else w.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<never>> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.settle();
    });
  }

  return(): Promise<IteratorResult<never>> {
    const leave = this.leave;
    this.leave = undefined;
    this.outcome ??= {};
    leave?.();
    this.settle();
    this.onFinished(this);
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<never> {
    return this;
  }
}
