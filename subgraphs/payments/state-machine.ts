/** The payment status machine: which status may follow which. */
import { appError } from '../../platform/errors.js';
import type { PaymentStatus } from './models.js';

/** Allowed next statuses for each status. */
const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  REQUIRES_PAYMENT: ['PROCESSING'],
  PROCESSING: ['SUCCEEDED', 'FAILED'],
  FAILED: ['PROCESSING'],
  SUCCEEDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  REFUNDED: [],
};

/** True when `to` may follow `from`. */
export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws INVALID_STATE_TRANSITION unless `to` may follow `from`. */
export function assertTransition(from: PaymentStatus, to: PaymentStatus, target = 'id'): void {
  if (!canTransition(from, to)) {
    throw appError('INVALID_STATE_TRANSITION', `A ${from} payment cannot become ${to}`, { target, details: `Allowed from ${from}: ${TRANSITIONS[from].join(', ') || 'none'}`, extra: { from, to } });
  }
}
