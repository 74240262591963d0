/**
 * Demo data of the people subgraph, in two parts (see `DEMO_DATASETS`), each seeded only while its
 * collection is empty and never in production (`planDemoSeed` refuses both there):
 * - `people`: 500 users from `demoUser`, 2 organizations, speaker profiles for the speakers;
 * - `partner`: one partner API client with the published development credentials below.
 *
 * Development credentials of the demo partner client (scopes `events:read registrations:read`,
 * owned by organizer user 1) — for local use only, never seeded into production data:
 * - API key: `eg_test_demo_partner_key_0001`
 * - OAuth2 client credentials: client id `egc_demo_partner`, secret `egs_demo_partner_secret_0001`
 */
import type { Connection } from 'mongoose';
import { DEMO, demoUser, fullDemoPlan, type DemoSeedPlan } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { hashSecret, keyPrefixOf, parseApiKey } from './credentials.js';
import { peopleModels } from './models.js';

/** The demo partner client's credentials: a key of the first demo organizer, seeded with the demo people. */
export const DEMO_PARTNER = {
  apiKey: 'eg_test_demo_partner_key_0001',
  clientId: 'egc_demo_partner',
  clientSecret: 'egs_demo_partner_secret_0001',
  scopes: ['events:read', 'registrations:read'],
} as const;

const ORGANIZATIONS = [
  { name: 'Northwind Events', slug: 'northwind-events' },
  { name: 'Contoso Conferences', slug: 'contoso-conferences' },
];

/**
 * Seeds the parts of the plan that belong to the people subgraph (all of them by default): the
 * demo people while there are no users, the demo partner client while there are no API clients.
 */
export async function seedPeople(conn: Connection, plan: DemoSeedPlan = fullDemoPlan()): Promise<{ seeded: boolean }> {
  const m = peopleModels(conn);
  let seeded = false;
  if (plan.datasets.has('people') && (await m.User.estimatedDocumentCount()) === 0) {
    await seedDemoPeople(conn);
    seeded = true;
  }
  if (plan.datasets.has('partner') && (await m.ApiClient.estimatedDocumentCount()) === 0) {
    await seedDemoPartner(conn);
    seeded = true;
  }
  return { seeded };
}

async function seedDemoPeople(conn: Connection): Promise<void> {
  const m = peopleModels(conn);
  const now = new Date();
  await m.Organization.insertMany(ORGANIZATIONS.slice(0, DEMO.organizations).map((o, i) => ({ _id: demoId('org', i), ...o, createdAt: now, updatedAt: now })));
  const users = Array.from({ length: DEMO.users }, (_, i) => {
    const u = demoUser(i);
    const speaker = u.roles.includes('speaker');
    return {
      _id: demoId('user', i),
      name: u.name,
      email: u.email,
      roles: u.roles,
      organizationId: u.organizationIndex === null ? null : demoId('org', u.organizationIndex),
      speakerProfile: speaker
        ? { bio: `${u.name} speaks about distributed systems and developer tooling.`, company: ['Initech', 'Umbrella Labs', 'Hooli'][i % 3], title: 'Principal Engineer', links: [{ label: 'Website', url: `https://example.com/speakers/${i}` }] }
        : null,
      consents: [{ purpose: 'MARKETING', granted: i % 2 === 0, grantedAt: i % 2 === 0 ? now : null, revokedAt: null, updatedAt: now }],
      createdAt: now,
      updatedAt: now,
    };
  });
  await m.User.insertMany(users);
}

async function seedDemoPartner(conn: Connection): Promise<void> {
  const m = peopleModels(conn);
  const key = hashSecret(DEMO_PARTNER.apiKey);
  const secret = hashSecret(DEMO_PARTNER.clientSecret);
  await m.ApiClient.create({
    _id: demoId('apiclient', 0),
    name: 'Demo partner',
    ownerId: demoId('user', DEMO.organizerIndexes[0]),
    scopes: [...DEMO_PARTNER.scopes],
    clientId: DEMO_PARTNER.clientId,
    keyId: parseApiKey(DEMO_PARTNER.apiKey)!.keyId,
    keyPrefix: keyPrefixOf(DEMO_PARTNER.apiKey),
    keySalt: key.salt,
    keyHash: key.hash,
    secretSalt: secret.salt,
    secretHash: secret.hash,
  });
}
