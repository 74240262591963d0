import { afterEach, describe, expect, it, vi } from 'vitest';
import { ANONYMOUS, InvalidPrincipalError, createPrincipalSigner, createPrincipalVerifier, signPrincipal, verifyPrincipal, type Principal } from './principal.js';

const SECRET = 'principal-test-secret-0123456789abcdef';
const OTHER = 'another-secret-0123456789abcdef-xyz';
const alice: Principal = { kind: 'user', sub: 'u-alice', scopes: ['events:read'], roles: ['attendee'] };
const bob: Principal = { kind: 'user', sub: 'u-bob', scopes: ['events:read'], roles: ['attendee'] };

afterEach(() => void vi.useRealTimers());

describe('principal signer', () => {
  it('round-trips, and reuses a signature for the same principal only', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const signer = createPrincipalSigner({ secret: SECRET });
    const a1 = await signer.sign(alice);
    vi.setSystemTime(start + 2_000); // a fresh signature would carry another `iat`
    expect(await signer.sign({ ...alice, scopes: [...alice.scopes] })).toBe(a1);
    expect(await signer.sign({ ...alice, scopes: ['events:read', 'admin'] })).not.toBe(a1);
    expect(await signer.sign(bob)).not.toBe(a1);
    expect(await createPrincipalSigner({ secret: OTHER }).sign(alice)).not.toBe(a1);
    expect(await verifyPrincipal(a1, SECRET)).toEqual(alice);
  });

  it('signs anew after a fifth of the lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const signer = createPrincipalSigner({ secret: SECRET, ttlSeconds: 60 });
    const token = await signer.sign(alice);
    vi.setSystemTime(start + 11_000);
    expect(await signer.sign(alice)).toBe(token);
    vi.setSystemTime(start + 13_000);
    expect(await signer.sign(alice)).not.toBe(token);
  });

  it('keeps at most maxEntries principals, dropping the least recently used', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const signer = createPrincipalSigner({ secret: SECRET, maxEntries: 2 });
    const a = await signer.sign(alice);
    const b = await signer.sign(bob);
    vi.setSystemTime(start + 2_000);
    expect(await signer.sign(alice)).toBe(a); // alice is now the most recent
    await signer.sign({ ...bob, sub: 'u-carol' });
    expect(signer.size).toBe(2);
    expect(await signer.sign(alice)).toBe(a);
    expect(await signer.sign(bob)).not.toBe(b);
  });

  it('never keeps a failed signature', async () => {
    const signer = createPrincipalSigner({ secret: '' });
    await expect(signer.sign(alice)).rejects.toThrow();
    expect(signer.size).toBe(0);
  });
});

describe('principal verifier', () => {
  it('answers a token verified before from its cache, as copies the caller may change', async () => {
    const verifier = createPrincipalVerifier({ secret: SECRET });
    const token = await signPrincipal(bob, SECRET);
    const first = await verifier.verify(token);
    expect(verifier.size).toBe(1);
    first.scopes.push('admin');
    first.roles.push('admin');
    const second = await verifier.verify(token);
    expect(second).toEqual(bob);
    second.scopes.push('admin');
    expect(await verifier.verify(token)).toEqual(bob);
    expect(verifier.size).toBe(1);
  });

  it('treats a missing header as anonymous and refuses anything else unsigned', async () => {
    const verifier = createPrincipalVerifier({ secret: SECRET });
    expect(await verifier.verify(undefined)).toEqual(ANONYMOUS);
    expect(await verifier.verify('')).toEqual(ANONYMOUS);
    await expect(verifier.verify(['a', 'b'])).rejects.toBeInstanceOf(InvalidPrincipalError);
    await expect(verifier.verify('not-a-token')).rejects.toBeInstanceOf(InvalidPrincipalError);
  });

  it('never caches a refusal: forged and foreign tokens are refused every time, even when the genuine one is cached', async () => {
    const verifier = createPrincipalVerifier({ secret: SECRET });
    const genuine = await signPrincipal(alice, SECRET);
    await verifier.verify(genuine);
    const [h, p] = genuine.split('.');
    const forged = `${h}.${p}.${'A'.repeat(43)}`;
    const foreign = await signPrincipal(alice, OTHER);
    for (let i = 0; i < 2; i++) {
      await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidPrincipalError);
      await expect(verifier.verify(foreign)).rejects.toBeInstanceOf(InvalidPrincipalError);
    }
    expect(verifier.size).toBe(1);
  });

  it('is keyed by its secret: a verifier with another secret refuses a token another verifier holds', async () => {
    const mine = createPrincipalVerifier({ secret: SECRET });
    const theirs = createPrincipalVerifier({ secret: OTHER });
    const token = await signPrincipal(alice, SECRET);
    expect(await mine.verify(token)).toEqual(alice);
    await expect(theirs.verify(token)).rejects.toBeInstanceOf(InvalidPrincipalError);
    expect(theirs.size).toBe(0);
  });

  it('keeps at most maxEntries tokens', async () => {
    const verifier = createPrincipalVerifier({ secret: SECRET, maxEntries: 3 });
    for (let i = 0; i < 5; i++) expect((await verifier.verify(await signPrincipal({ ...alice, sub: `u-${i}` }, SECRET))).sub).toBe(`u-${i}`);
    expect(verifier.size).toBe(3);
  });

  it('refuses a cached token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const verifier = createPrincipalVerifier({ secret: SECRET });
    const token = await signPrincipal({ ...alice, sub: 'u-expiring' }, SECRET, 60);
    expect((await verifier.verify(token)).sub).toBe('u-expiring');
    vi.setSystemTime(start + 64_000); // within the 5 s clock tolerance
    expect((await verifier.verify(token)).sub).toBe('u-expiring');
    vi.setSystemTime(start + 66_000); // past expiry and the tolerance
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidPrincipalError);
    expect(verifier.size).toBe(0);
  });
});
