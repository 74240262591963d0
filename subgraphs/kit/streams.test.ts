import { describe, expect, it } from 'vitest';
import { mapIterator } from './streams.js';

describe('mapIterator', () => {
  it('maps, skips undefined, and forwards return() to the source', async () => {
    let closed = false;
    async function* source() {
      try {
        await Promise.resolve(); // an asynchronous source, like the live feed
        yield 1;
        yield 2;
        yield 3;
        yield 4;
      } finally {
        closed = true;
      }
    }
    const src = source();
    const it = mapIterator(src, (n) => (n === 2 ? undefined : n * 10));
    expect(await it.next()).toEqual({ done: false, value: 10 });
    expect(await it.next()).toEqual({ done: false, value: 30 });
    await it.return!();
    expect(closed).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
