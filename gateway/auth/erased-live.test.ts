/**
 * A subscription that is already running when its user is erased: the gateway verifies an open
 * connection's credentials again every SUBSCRIPTION_REVALIDATE_MS and closes it with 4403 once they
 * are refused, so an erased user stops receiving within that interval plus the user-status cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { demoId } from '../../subgraphs/kit/ids.js';
import { startE2E, type E2E } from '../../test/harness/e2e.js';
import { ROLE_SCOPES } from '../shield/scopes.js';

const EVENT0 = demoId('event', 0).toHexString();
let t: E2E;

beforeAll(async () => {
  t = await startE2E({ env: { USER_STATUS_CACHE_TTL_MS: '200', SUBSCRIPTION_REVALIDATE_MS: '250' } });
});
afterAll(async () => {
  await t?.stop();
});

/** Opens a connection for the token and subscribes; resolves how the subscription ended. */
function watch(token: string) {
  const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {}, connectionParams: { authorization: `Bearer ${token}` } });
  const connected = new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', (e) => reject(new Error(`closed ${(e as { code?: number }).code}`)));
  });
  const ended = new Promise<{ closed?: number; reason?: string; errors?: unknown }>((resolve) => {
    client.subscribe({ query: 'subscription($e: ID!) { eventChanged(eventId: $e) { type } }', variables: { e: EVENT0 } }, {
      next: () => {},
      error: (err) => resolve(Array.isArray(err) ? { errors: err } : { closed: (err as { code?: number }).code, reason: (err as { reason?: string }).reason }),
      complete: () => resolve({}),
    });
  });
  return { client, connected, ended };
}

describe('a running subscription', () => {
  it('is closed with 4403 once its user is erased, while another user stays connected', async () => {
    const create = (n: string) => t.admin(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { name: n, email: `${n.toLowerCase()}@example.com`, roles: ['ATTENDEE'] } });
    const erasedId: string = (await create('Leaving')).createUser.id;
    const stayingId: string = (await create('Staying')).createUser.id;
    const token = (sub: string) => t.token({ sub, roles: ['attendee'], scopes: [...ROLE_SCOPES.attendee!] });
    const leaving = watch(await token(erasedId));
    const staying = watch(await token(stayingId));
    try {
      await Promise.all([leaving.connected, staying.connected]);
      // Several re-verifications pass while the user exists: the connection stays open.
      await new Promise((r) => setTimeout(r, 1000));
      const early = await Promise.race([leaving.ended, new Promise((r) => setTimeout(() => r('open'), 0))]);
      expect(early).toBe('open');
      await t.admin(`mutation($id: ID!) { eraseUser(userId: $id) { erasedAt } }`, { id: erasedId });
      expect(await leaving.ended).toEqual({ closed: 4403, reason: 'Forbidden: credentials no longer accepted' });
      const still = await Promise.race([staying.ended, new Promise((r) => setTimeout(() => r('open'), 1000))]);
      expect(still).toBe('open');
    } finally {
      await Promise.all([leaving.client.dispose(), staying.client.dispose()]);
    }
  });
});
