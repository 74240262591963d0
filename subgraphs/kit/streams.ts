/** Async-iterator helpers for Subscription resolvers over live feeds. */

/**
 * Maps a source iterator; `fn` returning `undefined` skips the item. `return()` is forwarded to the
 * source at once, so closing a subscription releases the feed even while it waits for a record.
 */
export function mapIterator<T, U>(source: AsyncIterator<T>, fn: (item: T) => U | undefined | Promise<U | undefined>): AsyncIterableIterator<U> {
  const it: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const r = await source.next();
        if (r.done) return { done: true, value: undefined };
        const mapped = await fn(r.value);
        if (mapped !== undefined) return { done: false, value: mapped };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(err?: unknown): Promise<IteratorResult<U>> {
      if (source.throw) await source.throw(err);
      else await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
