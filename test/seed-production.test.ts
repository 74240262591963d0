/**
 * Production never holds demo credentials or demo people:
 * - `npm start` with NODE_ENV=production and real secrets refuses the README's demo API key and
 *   OAuth client (401) and has no demo users (nor any demo data);
 * - a subgraph run alone in production on its embedded database seeds nothing either;
 * - `npm run seed` in production refuses without `--only`, refuses the parts holding people or
 *   credentials, and with `--only events --organizer <id>` loads the event catalogue alone;
 * - runSubgraph refuses to seed demo data when told NODE_ENV is production;
 * - the container files start `node` directly on the compiled product and seed nothing but
 *   production-safe parts.
 */
import { MongoClient } from 'mongodb';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../localdb/index.js';
import { loadAuthConfig } from '../gateway/auth/config.js';
import { issueToken } from '../gateway/auth/jwt.js';
import { ConfigError, SUBGRAPH_NAMES } from '../platform/config.js';
import { databaseName } from '../subgraphs/kit/db.js';
import { DEMO, PRODUCTION_DATASETS, planDemoSeed } from '../subgraphs/kit/demo.js';
import { demoId } from '../subgraphs/kit/ids.js';
import { createLogger } from '../platform/logger.js';
import { PRINCIPAL_HEADER, signPrincipal } from '../platform/principal.js';
import { DEMO_PARTNER } from '../subgraphs/people/seed.js';
import { runSubgraph } from '../subgraphs/run.js';
import { freePorts } from '../scripts/start-probe.js';
import { PRODUCTION_SECRETS, ROOT, exitWithin, killGroup, spawnInGroup, waitForOutput, type Spawned } from './harness/processes.js';

const START_MS = 40_000;
const EXIT_MS = 20_000;
const DEMO_ADMIN = demoId('user', DEMO.adminIndex).toHexString();
/** A production user: not part of the demo data. */
const REAL_ADMIN = '65a1b2c3d4e5f60718293a4b';
const PRODUCTION_ENV = { NODE_ENV: 'production', LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '2000', ...PRODUCTION_SECRETS };

const spawned: Spawned[] = [];
let dataDir: string;

function track(p: Spawned): Spawned {
  spawned.push(p);
  return p;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'eventgraph-seed-production-'));
});

afterAll(async () => {
  for (const p of spawned) killGroup(p.pgid);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('npm start with NODE_ENV=production', () => {
  it('refuses the demo API key and the demo OAuth client (401) and has no demo users', async () => {
    const [gateway, ...subgraphs] = await freePorts(1 + SUBGRAPH_NAMES.length);
    const ports = Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [`${n.toUpperCase()}_PORT`, String(subgraphs[i])]));
    const p = track(spawnInGroup('npm', ['start', '--', '--memory'], { env: { ...PRODUCTION_ENV, PORT: String(gateway), ...ports } }));
    await waitForOutput(p, (out) => out.includes('eventgraph is up'), START_MS);
    expect(p.stdout()).toContain('Demo data            none (NODE_ENV=production)');
    const base = `http://127.0.0.1:${gateway}`;

    const byKey = await postJson(`${base}/graphql`, { query: '{ events(first: 1) { totalCount } }' }, { 'x-api-key': DEMO_PARTNER.apiKey });
    expect(byKey.status).toBe(401);
    expect(byKey.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const basic = Buffer.from(`${DEMO_PARTNER.clientId}:${DEMO_PARTNER.clientSecret}`).toString('base64');
    const token = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` }, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(401);
    expect(((await token.json()) as { error: string }).error).toBe('invalid_client');

    const auth = loadAuthConfig({ ...PRODUCTION_ENV });
    const { token: adminToken } = await issueToken(auth.jwt, { sub: 'operations', kind: 'internal', scopes: ['admin'] }, 300);
    const seen = await postJson(
      `${base}/graphql`,
      { query: 'query ($id: ID!) { users(first: 1) { totalCount } user(id: $id) { id } events(first: 1) { totalCount } }', variables: { id: DEMO_ADMIN } },
      { authorization: `Bearer ${adminToken}` },
    );
    expect(seen.body).toEqual({ data: { users: { totalCount: 0 }, user: null, events: { totalCount: 0 } } });

    process.kill(p.pgid, 'SIGTERM');
    expect(await exitWithin(p, EXIT_MS)).toEqual({ code: 0, signal: null });
  });
});

describe('a subgraph run alone with NODE_ENV=production on its embedded database', () => {
  it('holds no demo people and no demo partner client', async () => {
    const [port] = await freePorts(1);
    const p = track(spawnInGroup(process.execPath, ['--import', 'tsx', 'subgraphs/main.ts', 'people'], { env: { ...PRODUCTION_ENV, LOG_LEVEL: 'info', PEOPLE_PORT: String(port), LOCALDB_PATH: join(dataDir, 'people') } }));
    await waitForOutput(p, (out) => out.includes('people subgraph ready'), START_MS);
    const url = `http://127.0.0.1:${port}/graphql`;
    const as = async (principal: Parameters<typeof signPrincipal>[0]) => ({ [PRINCIPAL_HEADER]: await signPrincipal(principal, PRODUCTION_SECRETS.INTERNAL_SECRET) });

    const internal = await as({ kind: 'internal', sub: 'gateway', scopes: [], roles: [] });
    const key = await postJson(url, { query: 'query ($key: String!) { verifyApiKey(key: $key) { clientId } }', variables: { key: DEMO_PARTNER.apiKey } }, internal);
    expect(key.body).toEqual({ data: { verifyApiKey: null } });
    const client = await postJson(url, { query: 'query ($id: String!, $s: String!) { verifyClientCredentials(clientId: $id, clientSecret: $s) { clientId } }', variables: { id: DEMO_PARTNER.clientId, s: DEMO_PARTNER.clientSecret } }, internal);
    expect(client.body.data?.verifyClientCredentials ?? null).toBeNull();

    const admin = await as({ kind: 'user', sub: REAL_ADMIN, scopes: ['admin'], roles: ['admin'] });
    const users = await postJson(url, { query: '{ users(first: 1) { totalCount } }' }, admin);
    expect(users.body).toEqual({ data: { users: { totalCount: 0 } } });

    process.kill(p.pgid, 'SIGTERM');
    expect(await exitWithin(p, EXIT_MS)).toEqual({ code: 0, signal: null });
  });
});

describe('npm run seed with NODE_ENV=production', () => {
  let db: LocalDb;
  let mongo: MongoClient;

  beforeAll(async () => {
    db = await startLocalDb({ port: 0 });
    mongo = await MongoClient.connect(db.uri);
  });

  afterAll(async () => {
    await mongo?.close();
    await db?.stop();
  });

  async function seed(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const p = track(spawnInGroup('npm', ['run', '-s', 'seed', ...(args.length ? ['--', ...args] : [])], { env: { ...PRODUCTION_ENV, MONGODB_URI: db.uri } }));
    const { code } = await exitWithin(p, START_MS);
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  }

  async function count(subgraph: string, collection: string): Promise<number> {
    return mongo.db(databaseName(subgraph)).collection(collection).countDocuments();
  }

  it('refuses without --only, saying why, and writes nothing', async () => {
    const r = await seed([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('configuration error: NODE_ENV=production: demo data is never seeded by default');
    expect(r.stderr).toContain('--only events --organizer <userId>');
    expect(await count('people', 'users')).toBe(0);
    expect(await count('events', 'events')).toBe(0);
  });

  it('refuses the parts holding demo people or credentials', async () => {
    for (const part of ['people', 'events,partner']) {
      const r = await seed(['--only', part, '--organizer', REAL_ADMIN]);
      expect(r.code, part).toBe(2);
      expect(r.stderr, part).toMatch(/is never seeded in production \(allowed: events\)/);
    }
    const noOrganizer = await seed(['--only', 'events']);
    expect(noOrganizer.code).toBe(2);
    expect(noOrganizer.stderr).toContain('--only events needs --organizer <userId>');
    expect(await count('people', 'users')).toBe(0);
    expect(await count('people', 'api_clients')).toBe(0);
    expect(await count('events', 'events')).toBe(0);
  });

  it('loads the event catalogue alone with --only events --organizer <userId>', async () => {
    const r = await seed(['--only', 'events', '--organizer', REAL_ADMIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('events (events): seeded');

    const events = await mongo.db(databaseName('events')).collection('events').find().toArray();
    expect(events.length).toBe(6);
    expect(new Set(events.map((e) => e.organizerId.toHexString()))).toEqual(new Set([REAL_ADMIN]));
    const sessions = await mongo.db(databaseName('events')).collection('sessions').find().toArray();
    expect(sessions.length).toBe(DEMO.sessions);
    expect(sessions.every((s) => s.speakerIds.length === 0)).toBe(true);
    expect(await count('events', 'registrations')).toBe(0);
    expect(await count('events', 'checkins')).toBe(0);
    expect(await count('people', 'users')).toBe(0);
    expect(await count('people', 'api_clients')).toBe(0);
    expect(await count('payments', 'payments')).toBe(0);
    expect(await count('integrations', 'connectors')).toBe(0);

    const again = await seed(['--only', 'events', '--organizer', REAL_ADMIN]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('events (events): already has data, left as is');
    expect(await count('events', 'events')).toBe(6);
  });
});

describe('the container files', () => {
  it('start every part with node itself and seed at most the production-safe parts', async () => {
    const compose = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
    const commands = [...compose.matchAll(/^\s*command: (\[.*\])$/gm)].map((m) => JSON.parse(m[1]!) as string[]).filter((c) => c[0] !== 'mongod' && c[0] !== 'mongosh');
    expect(commands.length).toBeGreaterThanOrEqual(6);
    // The compiled product (Dockerfile: npm run build), run by node without a TypeScript loader.
    for (const command of commands) expect(command.slice(0, 2), command.join(' ')).toEqual(['node', expect.stringMatching(/^dist\/[\w/]+\.js$/)]);
    const seeds = commands.filter((c) => c.includes('dist/scripts/seed.js'));
    expect(seeds).toHaveLength(1);
    for (const command of seeds) {
      const only = command[command.indexOf('--only') + 1] ?? '';
      expect(command.indexOf('--only'), command.join(' ')).toBeGreaterThan(0);
      expect(only.split(',').every((d) => (PRODUCTION_DATASETS as readonly string[]).includes(d)), command.join(' ')).toBe(true);
    }
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/gateway\/main\.js"\]$/m);
  });
});

describe('the seeding policy', () => {
  it('plans every part in development and only named production-safe parts in production', () => {
    expect([...planDemoSeed({ production: false }).datasets].sort()).toEqual(['events', 'integrations', 'partner', 'payments', 'people', 'registrations']);
    expect([...planDemoSeed({ production: false, only: ['people,partner'] }).datasets]).toEqual(['people', 'partner']);
    expect(PRODUCTION_DATASETS).toEqual(['events']);
    const plan = planDemoSeed({ production: true, only: ['events'], organizer: REAL_ADMIN });
    expect([...plan.datasets]).toEqual(['events']);
    expect(plan.organizerId?.toHexString()).toBe(REAL_ADMIN);
    expect(() => planDemoSeed({ production: true })).toThrow(ConfigError);
    expect(() => planDemoSeed({ production: true, only: ['partner'] })).toThrow(/never seeded in production/);
    expect(() => planDemoSeed({ production: false, only: ['everything'] })).toThrow(/unknown demo data 'everything'/);
    expect(() => planDemoSeed({ production: true, only: ['events'], organizer: 'not-an-id' })).toThrow(/--organizer must be a user id/);
  });

  it('runSubgraph refuses to seed demo data when NODE_ENV is production', async () => {
    const db = await startLocalDb({ port: 0 });
    try {
      const run = runSubgraph({ name: 'people', mongoUri: db.uri, internalSecret: PRODUCTION_SECRETS.INTERNAL_SECRET, logger: createLogger('people', 'silent'), seed: true, nodeEnv: 'production', dbPrefix: 'refuse' });
      await expect(run).rejects.toThrow(/demo data is never seeded by default/);
      const mongo = await MongoClient.connect(db.uri);
      try {
        expect(await mongo.db(databaseName('people', 'refuse')).collection('users').countDocuments()).toBe(0);
      } finally {
        await mongo.close();
      }
    } finally {
      await db.stop();
    }
  });
});
