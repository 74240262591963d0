/**
 * Live feeds for subscriptions: a subgraph's Subscription resolvers read a topic from here. A feed
 * first replays the outbox records after the given cursor, then continues with live records from
 * the bus, with no gap and no duplicate.
 */

/** One delivered domain event with its opaque resume cursor. */
export interface LiveRecord {
  /** Opaque; passing it back as `after` resumes right after this record. */
  cursor: string;
  topic: string;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

/** Topics of a subgraph's outbox as async iterators: replay after a cursor, then live records. */
export interface LiveFeed {
  /**
   * Subscribes to a topic. With `after`, replays every record after that cursor first.
   * A cursor from another topic, or a malformed one, is BAD_USER_INPUT.
   */
  subscribe(topic: string, after?: string | null): AsyncIterableIterator<LiveRecord>;
}
