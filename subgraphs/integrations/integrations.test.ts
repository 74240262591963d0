import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { demoId } from '../kit/ids.js';
import { outboxModels } from '../kit/outbox.js';
import { codes, internalPrincipal, startTestSubgraph, userPrincipal, type TestSubgraph } from '../kit/testing.js';
import { createIntegrationsSubgraph } from './index.js';
import { integrationsModels } from './models.js';
import { seedIntegrations } from './seed.js';

const hex = (kind: string, i: number) => demoId(kind, i).toHexString();
const integrator = userPrincipal(hex('user', 1), { scopes: ['integrations:read', 'integrations:write'] });
const readOnly = userPrincipal(hex('user', 2), { scopes: ['integrations:read'] });
const stranger = userPrincipal(hex('user', 300));
const worker = internalPrincipal('sync-worker');

const CONNECTOR = `id kind name status config mapping event { id } createdAt lastSyncAt`;
const CREATE_CONNECTOR = `mutation($input: CreateConnectorInput!) { createConnector(input: $input) { ${CONNECTOR} } }`;
const JOB = `id status processed total errors kind checkpoint startedAt finishedAt connector { id lastSyncAt }`;
const START = `mutation($c: ID!, $k: SyncJobKind) { startSyncJob(connectorId: $c, kind: $k) { ${JOB} } }`;
const REPORT = `mutation($id: ID!, $p: Int!, $t: Int, $e: [String!], $o: SyncJobStatus, $cp: String) { reportSyncProgress(jobId: $id, processed: $p, total: $t, errors: $e, outcome: $o, checkpoint: $cp) { ${JOB} } }`;
const CANCEL = `mutation($id: ID!) { cancelSyncJob(id: $id) { ${JOB} } }`;

let t: TestSubgraph;
beforeAll(async () => {
  t = await startTestSubgraph('integrations', createIntegrationsSubgraph, { seed: seedIntegrations });
});
afterAll(async () => {
  await t?.stop();
});

const outbox = (jobId: string) => outboxModels(t.conn).Outbox.find({ topic: `sync:${jobId}` }).sort({ seq: 1 }).lean();
const bad = (r: any, target: string) => expect(r.errors?.[0]?.extensions, target).toMatchObject({ code: 'BAD_USER_INPUT', target });

describe('seed', () => {
  it('creates the demo connectors, sync jobs, subscription and deliveries, once', async () => {
    const m = integrationsModels(t.conn);
    expect(await m.Connector.countDocuments()).toBe(2);
    expect(await m.WebhookSubscription.countDocuments()).toBe(1);
    expect(await m.WebhookDelivery.countDocuments()).toBe(4);
    const r = await t.call(`query { a: syncJob(id: "${hex('syncjob', 0)}") { status processed total } b: syncJob(id: "${hex('syncjob', 1)}") { status processed total } c: syncJob(id: "${hex('syncjob', 2)}") { status errors } }`, {}, readOnly);
    expect(r.data).toEqual({ a: { status: 'SUCCEEDED', processed: 1200, total: 1200 }, b: { status: 'RUNNING', processed: 450, total: 1200 }, c: { status: 'FAILED', errors: expect.any(Array) } });
    expect(r.data!.c.errors).toHaveLength(2);
    expect(await seedIntegrations(t.conn)).toEqual({ seeded: false });
    expect(await m.Connector.countDocuments()).toBe(2);
  });
});

describe('connectors', () => {
  it('creates each kind with valid settings', async () => {
    const gc = await t.call(CREATE_CONNECTOR, { input: { kind: 'GOOGLE_CALENDAR', name: 'Cal', config: { calendarId: 'team@example.com' }, eventId: hex('event', 1) } }, integrator);
    expect(gc.data!.createConnector).toMatchObject({ kind: 'GOOGLE_CALENDAR', status: 'ACTIVE', config: { calendarId: 'team@example.com' }, mapping: null, event: { id: hex('event', 1) } });
    const wh = await t.call(CREATE_CONNECTOR, { input: { kind: 'WEBHOOK', name: 'Local', config: { url: 'http://localhost:9999/hook' } } }, integrator);
    expect(wh.data!.createConnector.config.url).toBe('http://localhost:9999/hook');
    const rest = await t.call(CREATE_CONNECTOR, { input: { kind: 'REST', name: 'CRM', config: { baseUrl: 'https://crm.example.com/api' }, mapping: { title: 'name', startsAt: 'start.dateTime' } } }, integrator);
    expect(rest.data!.createConnector.mapping).toEqual({ title: 'name', startsAt: 'start.dateTime' });
  });
  it('rejects invalid kind-specific settings with field paths', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kind: 'GOOGLE_CALENDAR', name: 'x', config: {} }, 'input.config.calendarId'],
      [{ kind: 'WEBHOOK', name: 'x', config: { url: 'http://example.com/hook' } }, 'input.config.url'],
      [{ kind: 'WEBHOOK', name: 'x', config: { url: 'ftp://example.com' } }, 'input.config.url'],
      [{ kind: 'REST', name: 'x', config: { baseUrl: 'https://api.example.com' } }, 'input.mapping'],
      [{ kind: 'REST', name: 'x', config: { baseUrl: 'https://api.example.com' }, mapping: { title: 42 } }, 'input.mapping.title'],
      [{ kind: 'WEBHOOK', name: 'x', config: { url: 'https://ok.example.com' }, mapping: { a: 'b' } }, 'input.mapping'],
      [{ kind: 'GOOGLE_CALENDAR', name: 'x', config: { calendarId: 'c', $where: 'sleep(1000)' } }, 'input.config.$where'],
      [{ kind: 'GOOGLE_CALENDAR', name: ' ', config: { calendarId: 'c' } }, 'input.name'],
      [{ kind: 'GOOGLE_CALENDAR', name: 'x', config: { calendarId: 'c' }, eventId: 'nope' }, 'input.eventId'],
    ];
    const before = await integrationsModels(t.conn).Connector.countDocuments();
    for (const [input, target] of cases) bad(await t.call(CREATE_CONNECTOR, { input }, integrator), target);
    expect(await integrationsModels(t.conn).Connector.countDocuments()).toBe(before);
    expect(codes(await t.call(CREATE_CONNECTOR, { input: { kind: 'GOOGLE_CALENDAR', name: 'x', config: { calendarId: 'c' } } }, readOnly))).toEqual(['FORBIDDEN']);
  });
  it('never returns secrets, keeps them when an update sends the redacted value back', async () => {
    const config = { baseUrl: 'https://api.example.com', apiKey: 'k-123', auth: { password: 'p@ss', username: 'svc' }, headers: [{ Authorization: 'Bearer abc' }] };
    const r = await t.call(CREATE_CONNECTOR, { input: { kind: 'REST', name: 'Secretive', config, mapping: { title: 'name' } } }, integrator);
    const c = r.data!.createConnector;
    expect(c.config).toEqual({ baseUrl: 'https://api.example.com/', apiKey: '[REDACTED]', auth: { password: '[REDACTED]', username: 'svc' }, headers: [{ Authorization: '[REDACTED]' }] });
    const listed = await t.call(`{ connectors(first: 100, kind: REST) { edges { node { id config } } } }`, {}, readOnly);
    expect(JSON.stringify(listed.data)).not.toMatch(/k-123|p@ss|Bearer abc/);
    const upd = await t.call(`mutation($id: ID!, $input: UpdateConnectorInput!) { updateConnector(id: $id, input: $input) { name config } }`, { id: c.id, input: { name: 'Renamed', config: { ...c.config, auth: { ...c.config.auth, username: 'svc2' } } } }, integrator);
    expect(upd.data!.updateConnector).toMatchObject({ name: 'Renamed', config: { auth: { username: 'svc2', password: '[REDACTED]' } } });
    const stored = await integrationsModels(t.conn).Connector.findById(c.id).lean();
    expect(stored!.config).toMatchObject({ apiKey: 'k-123', auth: { password: 'p@ss', username: 'svc2' } });
    bad(await t.call(`mutation($id: ID!) { updateConnector(id: $id, input: { name: "" }) { id } }`, { id: c.id }, integrator), 'input.name');
    bad(await t.call(`mutation($id: ID!, $cfg: JSON) { updateConnector(id: $id, input: { config: $cfg }) { id } }`, { id: c.id, cfg: { baseUrl: 'nope' } }, integrator), 'input.config.baseUrl');
  });
  it('pauses and resumes; refuses a repeated transition; a paused connector cannot sync', async () => {
    const c = (await t.call(CREATE_CONNECTOR, { input: { kind: 'GOOGLE_CALENDAR', name: 'Lifecycle', config: { calendarId: 'c' } } }, integrator)).data!.createConnector;
    const pause = `mutation($id: ID!) { pauseConnector(id: $id) { status } }`;
    const resume = `mutation($id: ID!) { resumeConnector(id: $id) { status } }`;
    expect((await t.call(pause, { id: c.id }, integrator)).data!.pauseConnector.status).toBe('PAUSED');
    expect(codes(await t.call(pause, { id: c.id }, integrator))).toEqual(['INVALID_STATE_TRANSITION']);
    expect(codes(await t.call(START, { c: c.id }, integrator))).toEqual(['INVALID_STATE_TRANSITION']);
    expect((await t.call(resume, { id: c.id }, integrator)).data!.resumeConnector.status).toBe('ACTIVE');
    expect(codes(await t.call(resume, { id: c.id }, integrator))).toEqual(['INVALID_STATE_TRANSITION']);
  });
  it('deletes a connector unless a job is queued or running', async () => {
    const c = (await t.call(CREATE_CONNECTOR, { input: { kind: 'GOOGLE_CALENDAR', name: 'Doomed', config: { calendarId: 'c' } } }, integrator)).data!.createConnector;
    const job = (await t.call(START, { c: c.id }, integrator)).data!.startSyncJob;
    const del = `mutation($id: ID!) { deleteConnector(id: $id) }`;
    expect(codes(await t.call(del, { id: c.id }, integrator))).toEqual(['CONFLICT']);
    await t.call(CANCEL, { id: job.id }, integrator);
    expect((await t.call(del, { id: c.id }, integrator)).data!.deleteConnector).toBe(c.id);
    expect(codes(await t.call(del, { id: c.id }, integrator))).toEqual(['RESOURCE_NOT_FOUND']);
    bad(await t.call(del, { id: 'x' }, integrator), 'id');
  });
});

describe('sync jobs', () => {
  let connectorId = '';
  let jobId = '';
  beforeAll(async () => {
    connectorId = (await t.call(CREATE_CONNECTOR, { input: { kind: 'GOOGLE_CALENDAR', name: 'Sync me', config: { calendarId: 'c' }, eventId: hex('event', 2) } }, integrator)).data!.createConnector.id;
  });
  it('starts a QUEUED job with its outbox event; a second one is CONFLICT', async () => {
    const r = await t.call(START, { c: connectorId, k: 'INCREMENTAL' }, integrator);
    expect(r.data!.startSyncJob).toMatchObject({ status: 'QUEUED', processed: 0, total: null, errors: [], kind: 'INCREMENTAL', connector: { id: connectorId } });
    jobId = r.data!.startSyncJob.id;
    expect((await outbox(jobId)).map((e) => [e.type, e.payload.status])).toEqual([['sync.progress', 'QUEUED']]);
    const again = await t.call(START, { c: connectorId }, integrator);
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', target: 'connectorId' });
    bad(await t.call(START, { c: 'bad' }, integrator), 'connectorId');
  });
  it('progress moves QUEUED → RUNNING and checks bounds without writing on invalid input', async () => {
    const r = await t.call(REPORT, { id: jobId, p: 100, t: 1000, cp: 'page-1' }, worker);
    expect(r.data!.reportSyncProgress).toMatchObject({ status: 'RUNNING', processed: 100, total: 1000, checkpoint: 'page-1' });
    expect(r.data!.reportSyncProgress.startedAt).toMatch(/Z$/);
    const events = (await outbox(jobId)).length;
    bad(await t.call(REPORT, { id: jobId, p: 1001 }, worker), 'processed');
    bad(await t.call(REPORT, { id: jobId, p: 50 }, worker), 'processed');
    bad(await t.call(REPORT, { id: jobId, p: -1 }, worker), 'processed');
    bad(await t.call(REPORT, { id: jobId, p: 200, o: 'CANCELLED' }, worker), 'outcome');
    bad(await t.call(REPORT, { id: jobId, p: 200, e: ['ok', ''] }, worker), 'errors.1');
    expect(await outbox(jobId)).toHaveLength(events);
    expect(await integrationsModels(t.conn).SyncJob.findById(jobId).lean()).toMatchObject({ processed: 100, status: 'RUNNING' });
    expect(codes(await t.call(REPORT, { id: jobId, p: 200 }, readOnly))).toEqual(['FORBIDDEN']);
  });
  it('completes FAILED when it reaches total with errors, and then refuses more progress', async () => {
    await t.call(REPORT, { id: jobId, p: 600, e: ['row 17: missing start time'] }, worker);
    const done = await t.call(REPORT, { id: jobId, p: 1000 }, worker);
    expect(done.data!.reportSyncProgress).toMatchObject({ status: 'FAILED', processed: 1000, errors: ['row 17: missing start time'] });
    expect(done.data!.reportSyncProgress.connector.lastSyncAt).toBe(done.data!.reportSyncProgress.finishedAt);
    expect((await outbox(jobId)).map((e) => [e.type, e.payload.status, e.payload.processed])).toEqual([
      ['sync.progress', 'QUEUED', 0],
      ['sync.progress', 'RUNNING', 100],
      ['sync.progress', 'RUNNING', 600],
      ['sync.failed', 'FAILED', 1000],
    ]);
    expect(codes(await t.call(REPORT, { id: jobId, p: 1000 }, worker))).toEqual(['INVALID_STATE_TRANSITION']);
    expect(codes(await t.call(CANCEL, { id: jobId }, integrator))).toEqual(['INVALID_STATE_TRANSITION']);
  });
  it('completes SUCCEEDED without errors, or by explicit outcome', async () => {
    const j1 = (await t.call(START, { c: connectorId }, integrator)).data!.startSyncJob.id;
    const ok = await t.call(REPORT, { id: j1, p: 10, t: 10 }, worker);
    expect(ok.data!.reportSyncProgress.status).toBe('SUCCEEDED');
    expect((await outbox(j1)).at(-1)!.type).toBe('sync.completed');
    const j2 = (await t.call(START, { c: connectorId }, integrator)).data!.startSyncJob.id;
    expect((await t.call(REPORT, { id: j2, p: 3, o: 'FAILED', e: ['auth revoked'] }, worker)).data!.reportSyncProgress).toMatchObject({ status: 'FAILED', total: null });
  });
  it('cancels a queued job (sync.cancelled) and lists jobs with filters, without gaps', async () => {
    const j = (await t.call(START, { c: connectorId }, integrator)).data!.startSyncJob.id;
    expect((await t.call(CANCEL, { id: j }, integrator)).data!.cancelSyncJob.status).toBe('CANCELLED');
    expect((await outbox(j)).map((e) => e.type)).toEqual(['sync.progress', 'sync.cancelled']);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await t.call(`query($after: String) { syncJobs(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after }, readOnly);
      seen.push(...r.data.syncJobs.edges.map((e: any) => e.node.id));
      if (!r.data.syncJobs.pageInfo.hasNextPage) break;
      after = r.data.syncJobs.pageInfo.endCursor;
    }
    const total = await integrationsModels(t.conn).SyncJob.countDocuments();
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const mine = await t.call(`query($c: ID) { syncJobs(connectorId: $c, status: FAILED) { totalCount } }`, { c: connectorId }, readOnly);
    expect(mine.data!.syncJobs.totalCount).toBe(2);
    expect(codes(await t.call(`{ syncJobs { totalCount } }`, {}, stranger))).toEqual(['FORBIDDEN']);
  });
});

describe('webhook subscriptions', () => {
  const CREATE = `mutation($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { id url events active secret retryPolicy { maxAttempts backoffSeconds } } }`;
  it('creates with the secret shown once, validates event names, URL and retry policy', async () => {
    const r = await t.call(CREATE, { input: { url: 'https://partner.example.com/hook', events: ['registration.created', 'payment.refunded', 'registration.created'] } }, integrator);
    const s = r.data!.createWebhookSubscription;
    expect(s).toMatchObject({ events: ['registration.created', 'payment.refunded'], active: true, retryPolicy: { maxAttempts: 5, backoffSeconds: 30 } });
    expect(s.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await t.call(`{ webhookSubscriptions { edges { node { id secret } } } }`, {}, readOnly);
    expect(listed.data!.webhookSubscriptions.edges.every((e: any) => e.node.secret === null)).toBe(true);
    bad(await t.call(CREATE, { input: { url: 'https://partner.example.com/hook', events: ['event.created', 'user.hacked'] } }, integrator), 'input.events.1');
    bad(await t.call(CREATE, { input: { url: 'https://partner.example.com/hook', events: [] } }, integrator), 'input.events');
    bad(await t.call(CREATE, { input: { url: 'http://partner.example.com/hook', events: ['event.created'] } }, integrator), 'input.url');
    bad(await t.call(CREATE, { input: { url: 'https://partner.example.com/hook', events: ['event.created'], retryPolicy: { maxAttempts: 50, backoffSeconds: 10 } } }, integrator), 'input.retryPolicy.maxAttempts');
  });
  it('updates and deletes', async () => {
    const id = (await t.call(CREATE, { input: { url: 'https://p.example.com/h', events: ['session.created'] } }, integrator)).data!.createWebhookSubscription.id;
    const upd = `mutation($id: ID!, $input: UpdateWebhookSubscriptionInput!) { updateWebhookSubscription(id: $id, input: $input) { events active secret } }`;
    expect((await t.call(upd, { id, input: { events: ['session.updated', 'session.cancelled'], active: false } }, integrator)).data!.updateWebhookSubscription).toEqual({ events: ['session.updated', 'session.cancelled'], active: false, secret: null });
    bad(await t.call(upd, { id, input: { events: ['session.deleted'] } }, integrator), 'input.events.0');
    expect((await t.call(`mutation($id: ID!) { deleteWebhookSubscription(id: $id) }`, { id }, integrator)).data!.deleteWebhookSubscription).toBe(id);
    expect(codes(await t.call(upd, { id, input: { active: true } }, integrator))).toEqual(['RESOURCE_NOT_FOUND']);
  });
  it('lists deliveries newest first, paged without gaps', async () => {
    const q = `query($s: ID!, $after: String) { webhookDeliveries(subscriptionId: $s, first: 3, after: $after) { edges { node { id event status attempts responseStatus subscription { id } } } pageInfo { hasNextPage endCursor } totalCount } }`;
    const p1 = await t.call(q, { s: hex('webhooksub', 0) }, readOnly);
    expect(p1.data!.webhookDeliveries.totalCount).toBe(4);
    const p2 = await t.call(q, { s: hex('webhooksub', 0), after: p1.data!.webhookDeliveries.pageInfo.endCursor }, readOnly);
    const ids = [...p1.data!.webhookDeliveries.edges, ...p2.data!.webhookDeliveries.edges].map((e: any) => e.node.id);
    expect(new Set(ids).size).toBe(4);
    expect(p2.data!.webhookDeliveries.pageInfo.hasNextPage).toBe(false);
    expect(p1.data!.webhookDeliveries.edges[0].node.subscription.id).toBe(hex('webhooksub', 0));
  });
});

describe('entities', () => {
  it('resolves 50 SyncJob representations with one database command', async () => {
    const m = integrationsModels(t.conn);
    const ids = Array.from({ length: 50 }, () => new Types.ObjectId());
    await m.SyncJob.insertMany(ids.map((_id) => ({ _id, connectorId: demoId('connector', 0), kind: 'FULL', status: 'SUCCEEDED', active: false, processed: 5, total: 5 })));
    const reps = ids.map((id) => ({ __typename: 'SyncJob', id: id.toHexString() }));
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on SyncJob { id status connector { id } } } }`, { r: reps }, readOnly);
    expect(r.errors).toBeUndefined();
    expect(r.data!._entities.map((j: any) => j.id)).toEqual(reps.map((x) => x.id));
    expect(t.commands.map((c) => c.collection)).toEqual(['sync_jobs', 'connectors']);
  });
  it('resolves Connector and WebhookSubscription representations', async () => {
    const reps = [{ __typename: 'Connector', id: hex('connector', 0) }, { __typename: 'Connector', id: hex('connector', 1) }, { __typename: 'WebhookSubscription', id: hex('webhooksub', 0) }];
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Connector { kind config } ... on WebhookSubscription { url secret } } }`, { r: reps }, readOnly);
    expect(r.data!._entities).toEqual([
      { kind: 'GOOGLE_CALENDAR', config: { calendarId: 'demo-conference@group.calendar.example', refreshToken: '[REDACTED]' } },
      { kind: 'WEBHOOK', config: { url: 'https://crm.example.com/hooks/eventgraph', secret: '[REDACTED]' } },
      { url: 'https://crm.example.com/hooks/eventgraph', secret: null },
    ]);
    expect(t.commands.filter((c) => c.collection === 'connectors')).toHaveLength(1);
    expect(codes(await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Connector { kind } } }`, { r: reps.slice(0, 1) }, stranger))).toEqual(['FORBIDDEN']);
  });
  it('adds connectors and syncJobs to 50 Event representations with one command for connectors', async () => {
    const reps = Array.from({ length: 50 }, (_, i) => ({ __typename: 'Event', id: hex('event', i) }));
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Event { id connectors { id kind } } } }`, { r: reps }, readOnly);
    expect(r.data!._entities[0].connectors).toEqual([{ id: hex('connector', 0), kind: 'GOOGLE_CALENDAR' }]);
    expect(r.data!._entities[3].connectors).toEqual([]);
    expect(t.commands).toEqual([{ name: 'find', collection: 'connectors' }]);
    const jobs = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Event { syncJobs(first: 10) { totalCount edges { node { id status } } } } } }`, { r: reps.slice(0, 1) }, readOnly);
    expect(jobs.data!._entities[0].syncJobs.totalCount).toBe(3);
    expect(jobs.data!._entities[0].syncJobs.edges.map((e: any) => e.node.id)).toEqual([0, 1, 2].map((j) => hex('syncjob', j)).sort());
  });
});
