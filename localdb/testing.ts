import { MongoClient, type Collection, type Db, type Document, type ObjectId } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { startLocalDb, type LocalDb, type LocalDbOptions } from './index.js';

/** A quiet logger for tests that provoke errors on purpose. */
export const quietLogger = { error: () => {}, warn: () => {}, info: () => {} };

/** A document type with any `_id`, for tests that store varied shapes (any field, as the driver's `Document`). */
export interface Loose extends Document {
  _id?: ObjectId | number | string | Record<string, unknown>;
}

/** Starts one in-memory server and driver client for a test file; both are closed after it. */
export function useLocalDb(options: LocalDbOptions = {}): {
  server: () => LocalDb;
  client: () => MongoClient;
  db: (name?: string) => Db;
  coll: (name: string, dbName?: string) => Collection<Loose>;
} {
  let server: LocalDb | undefined;
  let client: MongoClient | undefined;
  beforeAll(async () => {
    server = await startLocalDb({ logger: quietLogger, ...options });
    client = await MongoClient.connect(server.uri);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  return {
    server: () => server!,
    client: () => client!,
    db: (name = 'test') => client!.db(name),
    coll: (name, dbName = 'test') => client!.db(dbName).collection<Loose>(name),
  };
}
