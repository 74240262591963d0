import type { Reply } from './context.js';

const RETRYABLE = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);

/**
 * Remembers the reply to the last retryable write of each session, so that a driver retrying
 * a write after a lost reply (same `lsid` and `txnNumber`) gets the original result instead
 * of applying the write twice.
 */
export class RetryCache {
  private readonly last = new Map<string, { txnNumber: bigint; reply: Reply }>();

  constructor(private readonly capacity = 10_000) {}

  /** Whether a command takes part in retryable-write de-duplication. */
  static applies(name: string): boolean {
    return RETRYABLE.has(name);
  }

  /** The recorded reply for this session and transaction number, if any. */
  lookup(sessionKey: string, txnNumber: bigint): Reply | undefined {
    const hit = this.last.get(sessionKey);
    return hit && hit.txnNumber === txnNumber ? hit.reply : undefined;
  }

  record(sessionKey: string, txnNumber: bigint, reply: Reply): void {
    this.last.delete(sessionKey);
    this.last.set(sessionKey, { txnNumber, reply });
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value as string);
  }

  /** Forgets a session (endSessions). */
  forget(sessionKey: string): void {
    this.last.delete(sessionKey);
  }
}
