/**
 * The object rules of the integrations subgraph as one table: every rule against every kind of
 * caller, and the answer each refusal gives.
 */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import { internalPrincipal, partnerPrincipal, userPrincipal } from '../kit/testing.js';
import { canReadIntegrations, canWriteIntegrations, requireReadIntegrations, requireWriteIntegrations } from './access.js';

const id = () => new Types.ObjectId().toHexString();
const ORGANIZER = id();

/** Every kind of caller the rules distinguish. */
const CALLERS = {
  attendee: userPrincipal(id(), { scopes: ['events:read'], roles: ['attendee'] }),
  organizer: userPrincipal(ORGANIZER, { scopes: ['events:read', 'events:write', 'integrations:read', 'integrations:write'], roles: ['organizer'] }),
  reader: userPrincipal(id(), { scopes: ['integrations:read'] }),
  writer: userPrincipal(id(), { scopes: ['integrations:write'] }),
  admin: userPrincipal(id(), { roles: ['admin'] }),
  internal: internalPrincipal('integrations'),
  anonymous: ANONYMOUS,
  globalPartner: partnerPrincipal('egc_sync', ['integrations:read', 'integrations:write']),
  readerPartner: partnerPrincipal('egc_reader', ['integrations:read']),
  organizerKey: { ...partnerPrincipal('egc_org', ['integrations:read']), ownerId: ORGANIZER },
  adminScopedPartner: partnerPrincipal('egc_admin', ['admin']),
} satisfies Record<string, Principal>;

type Caller = keyof typeof CALLERS;
const ALL = Object.keys(CALLERS) as Caller[];

const TABLE: Array<{ rule: string; check: (p: Principal) => boolean; yes: Caller[] }> = [
  { rule: 'canReadIntegrations', check: canReadIntegrations, yes: ['organizer', 'reader', 'admin', 'internal', 'globalPartner', 'readerPartner', 'organizerKey', 'adminScopedPartner'] },
  { rule: 'canWriteIntegrations', check: canWriteIntegrations, yes: ['organizer', 'writer', 'admin', 'internal', 'globalPartner', 'adminScopedPartner'] },
];

/** The code a `require…` rule answers with: null when it passes. */
function refusal(require: (p: Principal) => void, p: Principal): string | null {
  try {
    require(p);
    return null;
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code ?? 'UNEXPECTED';
  }
}

describe('integrations object rules', () => {
  for (const row of TABLE) {
    it(`${row.rule}: ${row.yes.join(', ')}`, () => {
      const got = Object.fromEntries(ALL.map((c) => [c, row.check(CALLERS[c])]));
      expect(got).toEqual(Object.fromEntries(ALL.map((c) => [c, row.yes.includes(c)])));
    });
  }

  it('the require rules refuse anonymous callers as UNAUTHENTICATED and others without the scope as FORBIDDEN', () => {
    for (const [require, can] of [
      [requireReadIntegrations, canReadIntegrations],
      [requireWriteIntegrations, canWriteIntegrations],
    ] as const) {
      const got = Object.fromEntries(ALL.map((c) => [c, refusal(require, CALLERS[c])]));
      const want = Object.fromEntries(ALL.map((c) => [c, c === 'anonymous' ? 'UNAUTHENTICATED' : can(CALLERS[c]) ? null : 'FORBIDDEN']));
      expect(got).toEqual(want);
    }
  });
});
