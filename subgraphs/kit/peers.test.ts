/**
 * The peers client against the real people subgraph (entities found, missing, erased; one call for
 * many ids), and against peers that cannot answer: a port nobody listens on, a server that never
 * answers, one answering errors or non-JSON, and no configured URL. Every failure is
 * SERVICE_UNAVAILABLE naming the peer.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeopleSubgraph } from '../people/index.js';
import { peopleModels } from '../people/models.js';
import { DEV_INTERNAL_SECRET } from '../../platform/config.js';
import { createPeers, NO_PEERS, peersFrom } from './peers.js';
import { PRINCIPAL_HEADER, verifyPrincipal } from '../../platform/principal.js';
import { startTestSubgraph, type TestSubgraph } from './testing.js';

let people: TestSubgraph;
const alive = new Types.ObjectId().toHexString();
const erased = new Types.ObjectId().toHexString();
const servers: Server[] = [];

beforeAll(async () => {
  people = await startTestSubgraph('people', createPeopleSubgraph);
  const { User } = peopleModels(people.conn);
  await User.create([
    { _id: new Types.ObjectId(alive), name: 'Alive Person', email: 'alive@example.com', roles: ['attendee'] },
    { _id: new Types.ObjectId(erased), name: 'Erased Person', email: 'erased@example.com', roles: ['attendee'], erasedAt: new Date() },
  ]);
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await people?.stop();
});

/** A local HTTP server answering every request with `handle`; answers its URL. */
async function serve(handle: (req: IncomingMessage, body: string) => { status: number; body: string } | null): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const answer = handle(req, body);
      if (!answer) return; // never answers
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

const expectUnavailable = async (p: Promise<unknown>, detail: RegExp) => {
  const err = (await p.then(() => null, (e: unknown) => e)) as { extensions?: Record<string, unknown> } | null;
  expect(err?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  expect(String(err?.extensions?.details)).toMatch(detail);
};

describe('peers', () => {
  it('resolves entities at the real peer in one call: found, erased, missing, in order', async () => {
    const peers = createPeers({ self: 'events', internalSecret: DEV_INTERNAL_SECRET, urls: { people: people.url } });
    const missing = new Types.ObjectId().toHexString();
    people.commands.length = 0;
    const found = await peers.entities<{ id: string; erasedAt: string | null }>('people', 'User', [alive, missing, erased], 'id erasedAt');
    expect(found[0]).toEqual({ id: alive, erasedAt: null });
    expect(found[1]).toBeNull();
    expect(found[2]?.id).toBe(erased);
    expect(typeof found[2]?.erasedAt).toBe('string');
    expect(people.commands.filter((c) => c.collection === 'users')).toHaveLength(1);
    expect(await peers.entities('people', 'User', [], 'id')).toEqual([]);
  });

  it('signs an internal principal naming the calling subgraph and forwards the correlation id', async () => {
    let seen: { principal?: string; correlation?: string } = {};
    const url = await serve((req) => {
      seen = { principal: String(req.headers[PRINCIPAL_HEADER]), correlation: String(req.headers['x-correlation-id']) };
      return { status: 200, body: JSON.stringify({ data: { _entities: [null] } }) };
    });
    const peers = createPeers({ self: 'payments', internalSecret: DEV_INTERNAL_SECRET, urls: { events: () => url } });
    expect(await peers.entities('events', 'Registration', [alive], 'id', { correlationId: 'corr-1' })).toEqual([null]);
    expect(await verifyPrincipal(seen.principal, DEV_INTERNAL_SECRET)).toMatchObject({ kind: 'internal', sub: 'payments', scopes: [] });
    expect(seen.correlation).toBe('corr-1');
  });

  it('is SERVICE_UNAVAILABLE when the peer is down, silent, failing or not configured', async () => {
    const down = await serve(() => ({ status: 200, body: '{}' }));
    const closed = servers.pop()!;
    await new Promise((r) => closed.close(r));
    const silent = await serve(() => null);
    const failing = await serve(() => ({ status: 200, body: JSON.stringify({ errors: [{ message: 'boom' }] }) }));
    const broken = await serve(() => ({ status: 502, body: '<html>bad gateway</html>' }));
    const wrongShape = await serve(() => ({ status: 200, body: JSON.stringify({ data: { _entities: [] } }) }));
    const at = (url: string) => createPeers({ self: 'events', internalSecret: DEV_INTERNAL_SECRET, urls: { people: url }, timeoutMs: 300 });
    await expectUnavailable(at(down).entities('people', 'User', [alive], 'id'), /people service is unreachable/);
    await expectUnavailable(at(silent).entities('people', 'User', [alive], 'id'), /did not answer within 300 ms/);
    await expectUnavailable(at(failing).entities('people', 'User', [alive], 'id'), /answered with errors/);
    await expectUnavailable(at(broken).entities('people', 'User', [alive], 'id'), /answered HTTP 502/);
    await expectUnavailable(at(wrongShape).entities('people', 'User', [alive], 'id'), /unexpected shape/);
    await expectUnavailable(createPeers({ self: 'events', internalSecret: DEV_INTERNAL_SECRET, urls: { people: () => undefined } }).entities('people', 'User', [alive], 'id'), /no configured URL/);
    await expectUnavailable(NO_PEERS.entities('people', 'User', [alive], 'id'), /not configured/);
  });

  it('is read from a module’s settings only when it is a peers client', () => {
    const peers = createPeers({ self: 'events', internalSecret: DEV_INTERNAL_SECRET, urls: {} });
    expect(peersFrom({ peers })).toBe(peers);
    expect(peersFrom({ peers: { entities: 'nope' } })).toBeNull();
    expect(peersFrom(undefined)).toBeNull();
  });
});
