/**
 * Domain events the people subgraph publishes through its outbox. Topic `users:<userId>`.
 * `user.erased` tells other services to drop or anonymise what they copied about the user.
 */
import type { DomainEvent } from '../kit/outbox.js';

const USER_ERASED = 'user.erased';

/** The event written in the same transaction as a GDPR erasure. */
export function userErased(userId: string, erasedAt: Date): DomainEvent {
  return { topic: `users:${userId}`, type: USER_ERASED, payload: { id: userId, erasedAt: erasedAt.toISOString() } };
}
