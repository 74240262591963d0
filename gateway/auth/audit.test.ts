import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type OperationDefinitionNode } from 'graphql';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { createLogger } from '../../platform/logger.js';
import { AUDIT_COLLECTION, AUDIT_DB, createAuditLog, describeMutation, type AuditEntry } from './audit.js';

const op = (text: string) => parse(text).definitions[0] as OperationDefinitionNode;

const entry = (i: number): AuditEntry => ({
  at: new Date(),
  correlationId: `c-${i}`,
  actor: { kind: 'user', sub: 'u1' },
  operationName: `Op${i}`,
  fields: ['checkIn'],
  ids: { 'checkIn.registrationId': `r${i}` },
  outcome: 'ok',
  errorCodes: [],
});

describe('describeMutation', () => {
  it('collects root fields and id-like arguments, inside input objects and from variables', () => {
    const m = op(`mutation M($r: ID!, $in: RegisterInput!) {
      a: checkIn(registrationId: $r) { id }
      register(input: $in) { id }
      assignSpeakers(sessionId: "s1", speakerIds: ["u1", "u2"]) { id }
      cancelEvent(id: "e1", reason: "rain") { id }
    }`);
    expect(describeMutation(m, { r: 'r1', in: { eventId: 'e9', attendeeId: 'u7', note: 'x' } })).toEqual({
      fields: ['checkIn', 'register', 'assignSpeakers', 'cancelEvent'],
      ids: {
        'a.registrationId': 'r1',
        'register.input.eventId': 'e9',
        'register.input.attendeeId': 'u7',
        'assignSpeakers.sessionId': 's1',
        'assignSpeakers.speakerIds': ['u1', 'u2'],
        'cancelEvent.id': 'e1',
      },
    });
  });
});

describe('audit log in MongoDB (localdb)', () => {
  let db: LocalDb;
  beforeAll(async () => {
    db = await startLocalDb({ port: 0 });
  });
  afterAll(() => db?.stop());

  it('stores entries in eventgraph_gateway.audit_log and pages newest first', async () => {
    const audit = createAuditLog({ uri: db.uri, logger: createLogger('test', 'silent') });
    for (let i = 0; i < 5; i++) void audit.record(entry(i));
    const first = await audit.list({ limit: 2 });
    expect(first.entries.map((e) => e.operationName)).toEqual(['Op4', 'Op3']);
    const second = await audit.list({ limit: 2, after: first.next! });
    expect(second.entries.map((e) => e.operationName)).toEqual(['Op2', 'Op1']);
    const last = await audit.list({ limit: 2, after: second.next! });
    expect(last).toMatchObject({ entries: [{ operationName: 'Op0', ids: { 'checkIn.registrationId': 'r0' } }], next: null });
    await audit.close();

    const client = new MongoClient(db.uri);
    try {
      expect(await client.db(AUDIT_DB).collection(AUDIT_COLLECTION).countDocuments()).toBe(5);
    } finally {
      await client.close();
    }
  });

  it('never fails the caller when the database is unreachable, and logs the entry', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const audit = createAuditLog({ uri: 'mongodb://127.0.0.1:1/?directConnection=true', logger: pino({ level: 'error' }, sink), timeoutMs: 200 });
    await expect(audit.record(entry(7))).resolves.toBeUndefined();
    await audit.close();
    const logged = lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === 'audit log write failed');
    expect(logged?.audit).toMatchObject({ operationName: 'Op7', correlationId: 'c-7' });
  });
});
