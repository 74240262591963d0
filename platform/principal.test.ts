import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidPrincipalError, signPrincipal, verifyPrincipal, type Principal } from './principal.js';

const SECRET = 'principal-test-secret-0123456789abcdef';
const OTHER = 'another-secret-0123456789abcdef-xyz';
const alice: Principal = { kind: 'user', sub: 'u-alice', scopes: ['events:read'], roles: ['attendee'] };
const bob: Principal = { kind: 'user', sub: 'u-bob', scopes: ['events:read'], roles: ['attendee'] };

afterEach(() => void vi.useRealTimers());

describe('signed principals', () => {
  it('round-trips, and reuses a signature for the same principal and secret only', async () => {
    const a1 = await signPrincipal(alice, SECRET);
    expect(await signPrincipal({ ...alice, scopes: [...alice.scopes] }, SECRET)).toBe(a1);
    expect(await signPrincipal(bob, SECRET)).not.toBe(a1);
    expect(await signPrincipal(alice, OTHER)).not.toBe(a1);
    expect(await signPrincipal({ ...alice, scopes: ['events:read', 'admin'] }, SECRET)).not.toBe(a1);
    expect(await verifyPrincipal(a1, SECRET)).toEqual(alice);
  });

  it('answers a token verified before from its cache, as copies the caller may change', async () => {
    const token = await signPrincipal(bob, SECRET);
    const first = await verifyPrincipal(token, SECRET);
    first.scopes.push('admin');
    first.roles.push('admin');
    expect(await verifyPrincipal(token, SECRET)).toEqual(bob);
  });

  it('refuses a forged or foreign token even when the genuine one is cached', async () => {
    const genuine = await signPrincipal(alice, SECRET);
    await verifyPrincipal(genuine, SECRET);
    await expect(verifyPrincipal(genuine, OTHER)).rejects.toBeInstanceOf(InvalidPrincipalError);
    await expect(verifyPrincipal(await signPrincipal(alice, OTHER), SECRET)).rejects.toBeInstanceOf(InvalidPrincipalError);
    const [h, p] = genuine.split('.');
    await expect(verifyPrincipal(`${h}.${p}.${'A'.repeat(43)}`, SECRET)).rejects.toBeInstanceOf(InvalidPrincipalError);
  });

  it('refuses a cached token once it has expired, and signs anew after the reuse window', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const token = await signPrincipal({ ...alice, sub: 'u-expiring' }, SECRET, 60);
    expect((await verifyPrincipal(token, SECRET)).sub).toBe('u-expiring');
    vi.setSystemTime(start + 13_000); // past a fifth of 60 s: a new signature
    expect(await signPrincipal({ ...alice, sub: 'u-expiring' }, SECRET, 60)).not.toBe(token);
    vi.setSystemTime(start + 66_000); // past expiry and the 5 s clock tolerance
    await expect(verifyPrincipal(token, SECRET)).rejects.toBeInstanceOf(InvalidPrincipalError);
  });
});
