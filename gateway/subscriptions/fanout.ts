/**
 * Writing one shared subscription's events to its subscribers.
 *
 * Each event is serialised once (its payload JSON, as one Buffer). A walker visits subscribers in
 * chunks (yielding to the event loop between chunks, so mutations and other work keep flowing) and
 * writes to each one every event it has not received yet, as ready-made WebSocket frames in one
 * socket write. When events arrive faster than a pass over all subscribers takes, later passes carry
 * several events per write: the number of socket writes per event falls as load rises, instead of
 * the backlog growing.
 */
import type WebSocket from 'ws';

/** A subscriber as the fan-out sees it. */
export interface FanOutTarget {
  /** Events of this shared subscription already written to the subscriber. */
  position: number;
  readonly ended: boolean;
  /** Writes `payloads[from..]` (serialised payloads) as `next` messages, in order. */
  write(payloads: readonly Buffer[], from: number): void;
}

/**
 * A pass yields to the event loop after this much time: everything else the gateway does
 * (requests, the next events' plans) waits at most this long behind the fan-out. Each socket
 * write is a system call (≈ 15 µs on a small VM), so half a millisecond is a few dozen sockets.
 */
const SLICE_MS = 0.5;
/** Sockets written between two looks at the clock. */
const CLOCK_EVERY = 8;

/** Length of the header of an unmasked frame carrying `length` bytes. */
const headerLength = (length: number) => (length < 126 ? 2 : length < 65_536 ? 4 : 10);

/** Writes the header of an unmasked, final text frame carrying `length` bytes at `at`; returns the next offset. */
function writeHeader(out: Buffer, at: number, length: number): number {
  out[at] = 0x81;
  if (length < 126) {
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 65_536) {
    out[at + 1] = 126;
    out[at + 2] = length >> 8;
    out[at + 3] = length & 0xff;
    return at + 4;
  }
  out[at + 1] = 127;
  out.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
  out.writeUInt32BE(length >>> 0, at + 6);
  return at + 10;
}

/**
 * Writes `next` messages (`prefix` + payload + `}`) for `payloads[from..]` to a ws socket as
 * complete frames in one socket write: one buffer, no other allocation. This runs once per
 * subscriber per pass, so it is kept lean. Falls back to `ws.send` when the socket is not a plain
 * server socket or has data queued inside ws. Returns false when output is left queued (the
 * socket's buffer is past its high-water mark, or ws queued it).
 */
export function writeNextFrames(ws: WebSocket, prefix: Buffer, payloads: readonly Buffer[], from = 0): boolean {
  const internal = ws as unknown as { _socket?: { write(b: Buffer): boolean }; _sender?: { _bufferedBytes?: number; _deflating?: boolean } };
  const raw = internal._socket;
  if (!raw || internal._sender?._bufferedBytes || internal._sender?._deflating) {
    for (const payload of payloads.slice(from)) ws.send(Buffer.concat([prefix, payload, CLOSE_BRACE]), { binary: false });
    return false;
  }
  let total = 0;
  // Index loops from `from` without copying the list; every index below payloads.length holds a payload.
  for (let i = from; i < payloads.length; i++) {
    const length = prefix.length + (payloads[i]?.length ?? 0) + 1;
    total += headerLength(length) + length;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = from; i < payloads.length; i++) {
    const payload = payloads[i];
    if (payload === undefined) continue;
    at = writeHeader(out, at, prefix.length + payload.length + 1);
    out.set(prefix, at);
    at += prefix.length;
    out.set(payload, at);
    at += payload.length;
    out[at++] = 0x7d; // }
  }
  return raw.write(out);
}

const CLOSE_BRACE = Buffer.from('}');

/** Options of a `FanOut`. */
export interface FanOutOptions {
  /** The subscribers each event is written to (the set changes as they join and leave). */
  subscribers: ReadonlySet<FanOutTarget>;
  /** Told after each pass: events written (event × subscriber), its duration, socket writes. */
  onWritten: (events: number, elapsedMs: number, writes: number) => void;
  /**
   * Passes start at most this often. Events arriving in between share one write per socket, which
   * trades a little latency for far fewer socket writes at high rates. Default 0.
   */
  minPassIntervalMs?: number;
}

/** The event log and walker of one shared subscription. */
export class FanOut {
  /** Events not yet written to every subscriber; `log[0]` is event number `base + 1`. */
  private log: Buffer[] = [];
  private base = 0;
  private latest = 0;
  private walking = false;
  private closed = false;
  private lastPassAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  private readonly subscribers: ReadonlySet<FanOutTarget>;
  private readonly onWritten: FanOutOptions['onWritten'];
  private readonly minPassIntervalMs: number;

  constructor({ subscribers, onWritten, minPassIntervalMs = 0 }: FanOutOptions) {
    this.subscribers = subscribers;
    this.onWritten = onWritten;
    this.minPassIntervalMs = minPassIntervalMs;
  }

  /** A new subscriber starts with the next event. */
  join(target: FanOutTarget): void {
    target.position = this.latest;
  }

  /** Queues one serialised payload for every subscriber. */
  push(payloadJson: string): void {
    if (this.closed) return;
    this.log.push(Buffer.from(payloadJson));
    this.latest++;
    if (!this.walking) {
      this.walking = true;
      this.schedulePass();
    }
  }

  private schedulePass(): void {
    const wait = this.lastPassAt + this.minPassIntervalMs - performance.now();
    if (wait > 0) this.timer = setTimeout(() => this.pass(), wait);
    else setImmediate(() => this.pass());
  }

  /** Writes what `target` has not received yet (before it ends). */
  flush(target: FanOutTarget): void {
    this.catchUp(target);
  }

  /** Stops walking; queued events are dropped. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.log = [];
  }

  private catchUp(target: FanOutTarget): number {
    if (target.ended || target.position >= this.latest) return 0;
    const from = Math.max(0, target.position - this.base);
    target.write(this.log, from);
    target.position = this.latest;
    return this.log.length - from;
  }

  private pass(): void {
    if (this.closed) return;
    this.lastPassAt = performance.now();
    this.trim();
    const targets = [...this.subscribers];
    const latestAtStart = this.latest;
    let i = 0;
    const step = () => {
      if (this.closed) return;
      const started = performance.now();
      const deadline = started + SLICE_MS;
      let written = 0;
      let writes = 0;
      let now = started;
      while (i < targets.length && now < deadline) {
        const end = Math.min(i + CLOCK_EVERY, targets.length);
        for (; i < end; i++) {
          const target = targets[i];
          const n = target ? this.catchUp(target) : 0;
          written += n;
          if (n) writes++;
        }
        now = performance.now();
      }
      this.onWritten(written, now - started, writes);
      if (i < targets.length) setImmediate(step);
      else if (this.latest !== latestAtStart) this.schedulePass();
      else {
        this.walking = false;
        this.trim();
      }
    };
    step();
  }

  /** Drops events every subscriber has received. */
  private trim(): void {
    let min = this.latest;
    for (const t of this.subscribers) if (!t.ended && t.position < min) min = t.position;
    if (min <= this.base) return;
    this.log = this.log.slice(min - this.base);
    this.base = min;
  }
}
