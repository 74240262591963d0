import type { Socket } from 'node:net';
import type { ConnectionInfo, Logger } from './context.js';
import { MAX_MESSAGE_SIZE, parseMessage, ProtocolError, type Request } from './wire.js';

/** The encoded answer to a request. */
export interface Response {
  bytes: Buffer;
  /** Request id of this reply message. */
  replyId: number;
  /** The reply carries `moreToCome`: the server answers the same request again (exhaust hello). */
  moreToCome: boolean;
}

/** Handles one parsed request and returns the reply (or null when no reply is due). */
export type RequestHandler = (req: Request, conn: ConnectionInfo) => Promise<Response | null>;

/**
 * One client connection: frames incoming bytes into messages, handles them strictly in order,
 * and closes the socket on any protocol violation without affecting other connections.
 */
export class Connection implements ConnectionInfo {
  readonly remote: string;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly logger: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  delay(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      this.drain();
    } catch (err) {
      this.logger.warn(`localdb: closing connection ${this.id} (${this.remote}): ${(err as Error).message}`);
      this.close();
    }
  }

  /** The length prefix of the next message; the caller has at least 4 bytes buffered. */
  private peekLength(): number {
    let head = this.chunks[0];
    if (head === undefined) throw new Error('no buffered bytes to read a message length from');
    if (head.length < 4) {
      head = Buffer.concat(this.chunks);
      this.chunks = [head];
    }
    return head.readInt32LE(0);
  }

  private drain(): void {
    while (this.buffered >= 4) {
      const len = this.peekLength();
      if (len < 16 || len > MAX_MESSAGE_SIZE) throw new ProtocolError(`invalid message length ${len}`);
      if (this.buffered < len) return;
      const head = this.chunks[0];
      const all = head !== undefined && this.chunks.length === 1 ? head : Buffer.concat(this.chunks);
      const msg = all.subarray(0, len);
      const rest = all.subarray(len);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      const req = parseMessage(msg);
      this.queue = this.queue.then(() => this.handle(req));
    }
  }

  private async handle(req: Request): Promise<void> {
    if (this.closed) return;
    try {
      let current = req;
      for (;;) {
        const res = await this.handler(current, this);
        if (!res || this.closed) return;
        this.socket.write(res.bytes);
        if (!res.moreToCome) return;
        current = { ...current, requestId: res.replyId };
      }
    } catch (err) {
      this.logger.error(`localdb: connection ${this.id} failed`, err);
      this.close();
    }
  }

  /** Closes the socket and cancels pending timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    this.socket.destroy();
    this.chunks = [];
    this.onClose(this);
  }
}
