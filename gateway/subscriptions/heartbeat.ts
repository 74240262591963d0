/**
 * Keep-alive for many sockets without stalling the event loop.
 *
 * Every member is visited once per interval, but members are spread over `slots` ticks of that
 * interval and a tick visits only its own slot. Pinging 10,000 sockets in one timer callback
 * holds the event loop for hundreds of milliseconds (one socket write each), which every event and
 * request waiting behind it feels; spread over 48 ticks of 12 s, a tick pings about 210 sockets.
 */
/** Options of a `Heartbeat`. */
export interface HeartbeatOptions<T> {
  /** Every member is visited once per interval. */
  intervalMs: number;
  visit: (member: T) => void;
  /** Ticks the interval is spread over; default one per 250 ms of it (at least 1, at most 120). */
  slots?: number;
}

/** Visits every member once per interval, a slot of them per tick. */
export class Heartbeat<T> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  private tick = 0;
  private readonly timer: NodeJS.Timeout;

  private readonly visit: (member: T) => void;

  constructor({ intervalMs, visit, slots = Math.min(120, Math.max(1, Math.round(intervalMs / 250))) }: HeartbeatOptions<T>) {
    this.visit = visit;
    this.slots = Array.from({ length: slots }, () => new Set<T>());
    this.timer = setInterval(() => this.beat(), intervalMs / slots);
    this.timer.unref();
  }

  /** Members currently visited. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Adds a member to the least filled slot. */
  add(member: T): void {
    if (this.slotOf.has(member)) return;
    let best: { slot: Set<T>; index: number } | undefined;
    for (const [index, slot] of this.slots.entries()) if (!best || slot.size < best.slot.size) best = { slot, index };
    if (!best) throw new Error('a heartbeat wheel has at least one slot');
    best.slot.add(member);
    this.slotOf.set(member, best.index);
  }

  delete(member: T): void {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return;
    this.slots[slot]?.delete(member);
    this.slotOf.delete(member);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const slot = this.slots[this.tick];
    this.tick = (this.tick + 1) % this.slots.length;
    if (!slot) return;
    // A copy: `visit` may remove members (a dead socket is terminated).
    for (const member of [...slot]) this.visit(member);
  }
}
