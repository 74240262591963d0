import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from './heartbeat.js';

afterEach(() => void vi.useRealTimers());

describe('Heartbeat', () => {
  it('visits every member once per interval, a slot per tick, never all at once', () => {
    vi.useFakeTimers();
    const visits: number[][] = [];
    let tick: number[] = [];
    const hb = new Heartbeat<number>({ intervalMs: 1_000, visit: (m) => tick.push(m), slots: 10 });
    for (let i = 0; i < 95; i++) hb.add(i);
    for (let t = 0; t < 20; t++) {
      tick = [];
      vi.advanceTimersByTime(100);
      visits.push(tick);
    }
    hb.stop();
    // Slots are filled evenly: 95 members over 10 slots is 9 or 10 a tick.
    for (const t of visits) expect(t.length === 9 || t.length === 10).toBe(true);
    // Each interval (10 ticks) visits every member exactly once.
    for (const half of [visits.slice(0, 10), visits.slice(10)]) expect(half.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 95 }, (_, i) => i));
  });

  it('stops visiting removed members, also when a visit removes one', () => {
    vi.useFakeTimers();
    const seen = new Map<string, number>();
    const hb: Heartbeat<string> = new Heartbeat<string>({
      intervalMs: 400,
      visit: (m) => {
        seen.set(m, (seen.get(m) ?? 0) + 1);
        if (m === 'dead') hb.delete(m);
      },
      slots: 4,
    });
    for (const m of ['a', 'b', 'c', 'dead', 'gone']) hb.add(m);
    hb.delete('gone');
    vi.advanceTimersByTime(1_200);
    hb.stop();
    expect(Object.fromEntries(seen)).toEqual({ a: 3, b: 3, c: 3, dead: 1 });
    expect(hb.size).toBe(3);
  });

  it('does not visit after stop', () => {
    vi.useFakeTimers();
    let visits = 0;
    const hb = new Heartbeat<number>({ intervalMs: 100, visit: () => void visits++, slots: 2 });
    hb.add(1);
    vi.advanceTimersByTime(100);
    hb.stop();
    vi.advanceTimersByTime(1_000);
    expect(visits).toBe(1);
  });
});
