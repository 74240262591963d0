/**
 * The registry of distinct subscriptions: a subscriber joins the shared subscription of its key,
 * which starts on the first subscriber and stops with the last.
 */
import type { GraphQLFormattedError } from 'graphql';
import { SharedSubscription, type SharedDeps, type SharedSpec, type Subscriber } from './shared.js';

/** The registry of shared subscriptions of one schema state. */
export interface SubscriptionHub {
  /** Adds a subscriber to the shared subscription for `spec.key` (starting it if needed). */
  join(spec: SharedSpec, subscriber: Subscriber): () => void;
  /** Ends every shared subscription and its subscribers (with errors, or completed). */
  closeAll(errors?: readonly GraphQLFormattedError[]): void;
  /** Number of shared (upstream) subscriptions open. */
  size(): number;
}

/** Creates an empty hub. */
export function createHub(deps: SharedDeps): SubscriptionHub {
  const entries = new Map<string, SharedSubscription>();
  return {
    join(spec, subscriber) {
      let entry = entries.get(spec.key);
      if (!entry) {
        const created: SharedSubscription = new SharedSubscription({
          spec,
          deps,
          onClosed: () => {
            if (entries.get(spec.key) === created) entries.delete(spec.key);
          },
        });
        entries.set(spec.key, created);
        entry = created;
      }
      const joined = entry;
      joined.add(subscriber);
      return () => {
        if (!joined.subscribers.delete(subscriber)) return;
        if (joined.subscribers.size === 0) joined.close();
      };
    },
    closeAll(errors) {
      for (const entry of [...entries.values()]) entry.close(errors);
    },
    size: () => entries.size,
  };
}
