/**
 * One client subscription on a gateway WebSocket. graphql-ws runs the protocol (init, subscribe,
 * complete, errors, close codes); events bypass its per-client serialisation: the shared
 * subscription serialises each payload once and this writes `{"id":…,"type":"next","payload":…}`
 * around that same text, straight to the socket.
 *
 * To graphql-ws this object is the subscription's async iterator. It never yields: `next()`
 * settles only when the subscription ends, `done` (graphql-ws then sends `complete`) or rejected
 * with SubscriptionEnded (graphql-ws then sends `error` with its errors).
 */
import type { GraphQLFormattedError } from 'graphql';
import type WebSocket from 'ws';
import { SubscriptionEnded } from './errors.js';
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

export interface SubscriberSocket {
  socket: WebSocket;
  /** Pending output allowed on the socket before it is closed as a slow consumer. */
  maxBufferedBytes: number;
  /** Called when the socket is over the limit (closes it as a slow consumer). */
  onOverflow: () => void;
}

type Settle = { resolve: (r: IteratorResult<never>) => void; reject: (e: unknown) => void };

export class ClientSubscription implements Subscriber, AsyncIterableIterator<never> {
  private readonly prefix: string;
  private waiting: Settle | undefined;
  private ended: { errors?: readonly GraphQLFormattedError[] } | undefined;
  /** Leaves the shared subscription; set once joined. */
  leave: (() => void) | undefined;

  constructor(
    id: string,
    private readonly out: SubscriberSocket,
    private readonly onFinished: (sub: ClientSubscription) => void,
  ) {
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  }

  deliver(payloadJson: string): void {
    if (this.ended) return;
    const { socket, maxBufferedBytes } = this.out;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBufferedBytes) {
      this.out.onOverflow();
      return;
    }
    socket.send(this.prefix + payloadJson + '}');
  }

  end(errors?: readonly GraphQLFormattedError[]): void {
    if (this.ended) return;
    this.ended = errors?.length ? { errors } : {};
    this.leave = undefined;
    this.settle();
  }

  private settle(): void {
    const w = this.waiting;
    if (!w || !this.ended) return;
    this.waiting = undefined;
    this.onFinished(this);
    if (this.ended.errors) w.reject(new SubscriptionEnded(this.ended.errors));
    else w.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<never>> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.settle();
    });
  }

  async return(): Promise<IteratorResult<never>> {
    const leave = this.leave;
    this.leave = undefined;
    this.ended ??= {};
    leave?.();
    this.settle();
    this.onFinished(this);
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<never> {
    return this;
  }
}
