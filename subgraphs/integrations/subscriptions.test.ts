import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoId } from '../kit/ids.js';
import { codes, internalPrincipal, startTestSubgraph, userPrincipal, type TestSubgraph } from '../kit/testing.js';
import { createIntegrationsSubgraph } from './index.js';
import { seedIntegrations } from './seed.js';

const reader = userPrincipal(demoId('user', 2).toHexString(), { scopes: ['integrations:read'] });
const writer = userPrincipal(demoId('user', 1).toHexString(), { scopes: ['integrations:write'] });
const SUB = `subscription($j: ID!) { syncProgress(jobId: $j) { cursor job { id status processed total errors connector { id lastSyncAt } } } }`;

let t: TestSubgraph;
beforeAll(async () => {
  t = await startTestSubgraph('integrations-live', createIntegrationsSubgraph, { seed: seedIntegrations, liveFeed: true });
});
afterAll(async () => {
  await t?.stop();
});

describe('syncProgress', () => {
  it('streams progress and completion of a job with current connector data', async () => {
    const connectorId = demoId('connector', 1).toHexString();
    const job = (await t.call(`mutation($c: ID!) { startSyncJob(connectorId: $c) { id } }`, { c: connectorId }, writer)).data!.startSyncJob.id;
    const sub = await t.subscribe(SUB, { j: job }, reader, 2);
    await new Promise((r) => setTimeout(r, 100));
    const report = `mutation($j: ID!, $p: Int!, $t: Int) { reportSyncProgress(jobId: $j, processed: $p, total: $t) { id } }`;
    await t.call(report, { j: job, p: 40, t: 80 }, internalPrincipal());
    await t.call(report, { j: job, p: 80 }, internalPrincipal());
    const events = (await sub.results).map((r) => r.data!.syncProgress);
    await sub.close();
    expect(events.map((e) => [e.job.status, e.job.processed, e.job.total])).toEqual([
      ['RUNNING', 40, 80],
      ['SUCCEEDED', 80, 80],
    ]);
    expect(events[0].job.connector.lastSyncAt).toBeNull();
    expect(events[1].job.connector.lastSyncAt).toMatch(/Z$/);
  });
  it('needs integrations:read', async () => {
    const sub = await t.subscribe(SUB, { j: demoId('syncjob', 1).toHexString() }, userPrincipal(demoId('user', 300).toHexString()));
    expect(codes((await sub.results)[0]!)).toEqual(['FORBIDDEN']);
    await sub.close();
  });
});
