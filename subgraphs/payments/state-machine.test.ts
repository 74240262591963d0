import { describe, expect, it } from 'vitest';
import { PAYMENT_STATUSES, type PaymentStatus } from './models.js';
import { assertTransition, canTransition } from './state-machine.js';

const ALLOWED: Array<[PaymentStatus, PaymentStatus]> = [
  ['REQUIRES_PAYMENT', 'PROCESSING'],
  ['PROCESSING', 'SUCCEEDED'],
  ['PROCESSING', 'FAILED'],
  ['FAILED', 'PROCESSING'],
  ['SUCCEEDED', 'PARTIALLY_REFUNDED'],
  ['SUCCEEDED', 'REFUNDED'],
  ['PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED'],
  ['PARTIALLY_REFUNDED', 'REFUNDED'],
];

describe('payment status machine', () => {
  it('allows exactly the documented transitions and refuses every other pair with INVALID_STATE_TRANSITION', () => {
    for (const from of PAYMENT_STATUSES) {
      for (const to of PAYMENT_STATUSES) {
        const allowed = ALLOWED.some(([f, t]) => f === from && t === to);
        expect(canTransition(from, to), `${from} → ${to}`).toBe(allowed);
        if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
        else {
          try {
            assertTransition(from, to);
            expect.unreachable();
          } catch (err: any) {
            expect(err.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', status: 409, from, to });
          }
        }
      }
    }
  });
});
