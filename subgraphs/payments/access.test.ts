/**
 * The object rules of the payments subgraph as one table: every rule against every kind of caller,
 * for one payment of ATTENDEE.
 */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import { internalPrincipal, partnerPrincipal, userPrincipal } from '../kit/testing.js';
import { canChangePayment, canReadPayment, canUsePaymentScope, paymentListScope } from './access.js';

const id = () => new Types.ObjectId().toHexString();
const ATTENDEE = id();
const OTHER = id();
const ALL_PAYMENT_SCOPES = ['payments:read', 'payments:write', 'payments:refund'];
const bound = (owner: string, scopes: string[]): Principal => ({ ...partnerPrincipal(`egc_${owner.slice(-6)}`, scopes), ownerId: owner });

const CALLERS = {
  attendee: userPrincipal(ATTENDEE, { scopes: ['events:read'] }),
  stranger: userPrincipal(OTHER, { scopes: ['events:read'] }),
  organizer: userPrincipal(id(), { scopes: ['events:read', 'events:write', 'registrations:write', 'checkins:write'], roles: ['organizer'] }),
  operator: userPrincipal(id(), { scopes: ALL_PAYMENT_SCOPES }),
  admin: userPrincipal(id(), { roles: ['admin'] }),
  internal: internalPrincipal('events'),
  anonymous: ANONYMOUS,
  globalPartner: partnerPrincipal('egc_billing', ALL_PAYMENT_SCOPES),
  attendeeKey: bound(ATTENDEE, ALL_PAYMENT_SCOPES),
  attendeeReadOnlyKey: bound(ATTENDEE, ['events:read']),
  otherKey: bound(OTHER, ALL_PAYMENT_SCOPES),
} satisfies Record<string, Principal>;

type Caller = keyof typeof CALLERS;
const ALL = Object.keys(CALLERS) as Caller[];
const payment = { attendeeId: new Types.ObjectId(ATTENDEE) };

const TABLE: Array<{ rule: string; check: (p: Principal) => unknown; answers: Partial<Record<Caller, unknown>>; otherwise: unknown }> = [
  { rule: 'canUsePaymentScope (payments:read)', check: (p) => canUsePaymentScope(p, 'payments:read'), answers: { operator: true, admin: true, internal: true, globalPartner: true, attendeeKey: true, otherKey: true }, otherwise: false },
  { rule: 'canUsePaymentScope (payments:refund)', check: (p) => canUsePaymentScope(p, 'payments:refund'), answers: { operator: true, admin: true, internal: true, globalPartner: true, attendeeKey: true, otherKey: true }, otherwise: false },
  { rule: 'canReadPayment', check: (p) => canReadPayment(p, payment), answers: { attendee: true, operator: true, admin: true, internal: true, globalPartner: true, attendeeKey: true }, otherwise: false },
  { rule: 'canChangePayment (payments:write)', check: (p) => canChangePayment(p, ATTENDEE, 'payments:write'), answers: { operator: true, admin: true, internal: true, globalPartner: true, attendeeKey: true }, otherwise: false },
  { rule: 'canChangePayment (payments:refund)', check: (p) => canChangePayment(p, ATTENDEE, 'payments:refund'), answers: { operator: true, admin: true, internal: true, globalPartner: true, attendeeKey: true }, otherwise: false },
  {
    rule: 'paymentListScope',
    check: (p) => paymentListScope(p),
    answers: { operator: {}, admin: {}, internal: {}, globalPartner: {}, attendeeKey: { attendeeId: ATTENDEE }, otherKey: { attendeeId: OTHER } },
    otherwise: null,
  },
];

describe('payments object rules', () => {
  for (const row of TABLE) {
    it(row.rule, () => {
      const got = Object.fromEntries(ALL.map((c) => [c, row.check(CALLERS[c])]));
      expect(got).toEqual(Object.fromEntries(ALL.map((c) => [c, c in row.answers ? row.answers[c] : row.otherwise])));
    });
  }
});
