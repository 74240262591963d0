/** Mutation table rows of the integrations subgraph. */
import { expect } from 'vitest';
import { demoId } from '../../../subgraphs/kit/ids.js';
import { newConnector, newEvent, newSyncJob, newWebhookSubscription, type MutationCase } from './fixtures.js';

/** The seeded RUNNING job (450 of 1200 processed). */
const RUNNING_JOB = demoId('syncjob', 1).toHexString();

/** One row per mutation the integrations subgraph contributes to the composed API. */
export const INTEGRATION_MUTATIONS: MutationCase[] = [
  {
    field: 'createConnector',
    async happy(t) {
      const ev = await newEvent(t);
      const d = await t.admin(`mutation ($input: CreateConnectorInput!) { createConnector(input: $input) { kind name status config mapping event { id title } } }`, {
        input: { kind: 'REST', name: 'CRM export', config: { baseUrl: 'https://crm.example.com/api', apiKey: 'k-123' }, mapping: { title: 'name' }, eventId: ev.id },
      });
      expect(d.createConnector).toEqual({
        kind: 'REST',
        name: 'CRM export',
        status: 'ACTIVE',
        config: { baseUrl: 'https://crm.example.com/api', apiKey: '[REDACTED]' },
        mapping: { title: 'name' },
        event: { id: ev.id, title: ev.title },
      });
    },
    invalid: () => ({
      query: `mutation ($input: CreateConnectorInput!) { createConnector(input: $input) { id } }`,
      variables: { input: { kind: 'WEBHOOK', name: 'Plain http', config: { url: 'http://hooks.example.com/x' } } },
      target: 'input.config.url',
    }),
  },
  {
    field: 'updateConnector',
    async happy(t) {
      const c = await newConnector(t);
      const d = await t.admin(`mutation ($id: ID!, $input: UpdateConnectorInput!) { updateConnector(id: $id, input: $input) { id name config } }`, {
        id: c.id,
        input: { name: 'Renamed hook', config: { url: 'https://hooks.example.com/v2', secret: '[REDACTED]' } },
      });
      expect(d.updateConnector).toEqual({ id: c.id, name: 'Renamed hook', config: { url: 'https://hooks.example.com/v2', secret: '[REDACTED]' } });
      const stored = await t.stack.subgraphs.integrations.conn.db!.collection('connectors').findOne({ name: 'Renamed hook' });
      expect(stored!.config.secret).toBe('s3cret');
    },
    invalid: async (t) => {
      const c = await newConnector(t);
      return {
        query: `mutation ($id: ID!) { updateConnector(id: $id, input: { name: "Kept", mapping: { a: "b" } }) { id } }`,
        variables: { id: c.id },
        target: 'input.mapping',
        subject: { subgraph: 'integrations', collection: 'connectors', id: c.id },
      };
    },
  },
  {
    field: 'pauseConnector',
    async happy(t) {
      const c = await newConnector(t);
      const d = await t.admin(`mutation ($id: ID!) { pauseConnector(id: $id) { id status } }`, { id: c.id });
      expect(d.pauseConnector).toEqual({ id: c.id, status: 'PAUSED' });
    },
    invalid: () => ({ query: `mutation { pauseConnector(id: "conn-1") { id } }`, target: 'id' }),
  },
  {
    field: 'resumeConnector',
    async happy(t) {
      const c = await newConnector(t);
      await t.admin(`mutation ($id: ID!) { pauseConnector(id: $id) { id } }`, { id: c.id });
      const d = await t.admin(`mutation ($id: ID!) { resumeConnector(id: $id) { id status } }`, { id: c.id });
      expect(d.resumeConnector).toEqual({ id: c.id, status: 'ACTIVE' });
    },
    invalid: () => ({ query: `mutation { resumeConnector(id: "0000") { id } }`, target: 'id' }),
  },
  {
    field: 'deleteConnector',
    async happy(t) {
      const c = await newConnector(t);
      const d = await t.admin(`mutation ($id: ID!) { deleteConnector(id: $id) }`, { id: c.id });
      expect(d.deleteConnector).toBe(c.id);
      const gone = await t.admin(`query ($id: ID!) { connector(id: $id) { id } }`, { id: c.id });
      expect(gone.connector).toBeNull();
    },
    invalid: () => ({ query: `mutation { deleteConnector(id: "*") }`, target: 'id' }),
  },
  {
    field: 'startSyncJob',
    async happy(t) {
      const c = await newConnector(t);
      const d = await t.admin(`mutation ($id: ID!) { startSyncJob(connectorId: $id, kind: INCREMENTAL) { status kind processed total errors connector { id } } }`, { id: c.id });
      expect(d.startSyncJob).toEqual({ status: 'QUEUED', kind: 'INCREMENTAL', processed: 0, total: null, errors: [], connector: { id: c.id } });
    },
    invalid: () => ({ query: `mutation { startSyncJob(connectorId: "nope") { id } }`, target: 'connectorId' }),
  },
  {
    field: 'cancelSyncJob',
    async happy(t) {
      const job = await newSyncJob(t);
      const d = await t.admin(`mutation ($id: ID!) { cancelSyncJob(id: $id) { id status finishedAt } }`, { id: job.id });
      expect(d.cancelSyncJob).toMatchObject({ id: job.id, status: 'CANCELLED' });
      expect(d.cancelSyncJob.finishedAt).toBeTruthy();
    },
    invalid: () => ({ query: `mutation { cancelSyncJob(id: "job") { id } }`, target: 'id' }),
  },
  {
    field: 'reportSyncProgress',
    async happy(t) {
      const job = await newSyncJob(t);
      const q = `mutation ($id: ID!, $n: Int!, $total: Int, $errors: [String!]) { reportSyncProgress(jobId: $id, processed: $n, total: $total, errors: $errors) { status processed total errors } }`;
      const running = await t.admin(q, { id: job.id, n: 10, total: 20 });
      expect(running.reportSyncProgress).toEqual({ status: 'RUNNING', processed: 10, total: 20, errors: [] });
      const done = await t.admin(q, { id: job.id, n: 20, errors: ['row 17: missing title'] });
      expect(done.reportSyncProgress).toEqual({ status: 'FAILED', processed: 20, total: 20, errors: ['row 17: missing title'] });
    },
    // The seeded running job has a total of 1200; the bound is checked inside the write.
    invalid: () => ({
      query: `mutation ($id: ID!) { reportSyncProgress(jobId: $id, processed: 5000, errors: ["not kept"]) { id } }`,
      variables: { id: RUNNING_JOB },
      target: 'processed',
      subject: { subgraph: 'integrations', collection: 'sync_jobs', id: RUNNING_JOB },
    }),
  },
  {
    field: 'createWebhookSubscription',
    async happy(t) {
      const d = await t.admin(`mutation { createWebhookSubscription(input: { url: "https://partner.example.com/in", events: ["payment.completed", "checkin.completed"], retryPolicy: { maxAttempts: 3, backoffSeconds: 10 } }) { id url events active secret retryPolicy { maxAttempts backoffSeconds } } }`);
      const sub = d.createWebhookSubscription;
      expect(sub).toMatchObject({ url: 'https://partner.example.com/in', events: ['payment.completed', 'checkin.completed'], active: true, retryPolicy: { maxAttempts: 3, backoffSeconds: 10 } });
      expect(sub.secret).toMatch(/^whsec_/);
      // The secret is shown once: a later read does not return it.
      const list = await t.admin(`{ webhookSubscriptions(first: 100) { edges { node { id secret } } } }`);
      expect(list.webhookSubscriptions.edges.find((e: any) => e.node.id === sub.id).node.secret).toBeNull();
    },
    invalid: () => ({
      query: `mutation { createWebhookSubscription(input: { url: "https://partner.example.com/in", events: ["payment.completed", "payment.exploded"] }) { id } }`,
      target: 'input.events.1',
    }),
  },
  {
    field: 'updateWebhookSubscription',
    async happy(t) {
      const s = await newWebhookSubscription(t);
      const d = await t.admin(`mutation ($id: ID!) { updateWebhookSubscription(id: $id, input: { active: false, events: ["event.cancelled"] }) { id active events secret } }`, { id: s.id });
      expect(d.updateWebhookSubscription).toEqual({ id: s.id, active: false, events: ['event.cancelled'], secret: null });
    },
    invalid: async (t) => {
      const s = await newWebhookSubscription(t);
      return {
        query: `mutation ($id: ID!) { updateWebhookSubscription(id: $id, input: { active: false, retryPolicy: { maxAttempts: 50, backoffSeconds: 10 } }) { id } }`,
        variables: { id: s.id },
        target: 'input.retryPolicy.maxAttempts',
        subject: { subgraph: 'integrations', collection: 'webhook_subscriptions', id: s.id },
      };
    },
  },
  {
    field: 'deleteWebhookSubscription',
    async happy(t) {
      const s = await newWebhookSubscription(t);
      const d = await t.admin(`mutation ($id: ID!) { deleteWebhookSubscription(id: $id) }`, { id: s.id });
      expect(d.deleteWebhookSubscription).toBe(s.id);
      const list = await t.admin(`{ webhookSubscriptions(first: 100) { edges { node { id } } } }`);
      expect(list.webhookSubscriptions.edges.map((e: any) => e.node.id)).not.toContain(s.id);
    },
    invalid: () => ({ query: `mutation { deleteWebhookSubscription(id: "sub") }`, target: 'id' }),
  },
];
