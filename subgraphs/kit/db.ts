/** One mongoose connection per subgraph, each on its own database. No default connection is used. */
import mongoose, { type Connection } from 'mongoose';

/** Database name of a subgraph: every subgraph owns its own database. */
export function databaseName(subgraph: string, prefix = 'eventgraph'): string {
  return `${prefix}_${subgraph}`;
}

/** Opens a connection to `uri` on the subgraph's database and waits until it is usable. */
export async function openConnection(uri: string, dbName: string, opts: { monitorCommands?: boolean } = {}): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { dbName, autoIndex: true, serverSelectionTimeoutMS: 10_000, monitorCommands: opts.monitorCommands ?? false });
  await conn.asPromise();
  return conn;
}

/** A readiness probe for a connection: a `ping` round trip. */
export function pingProbe(conn: Connection): () => Promise<boolean> {
  return async () => {
    if (!conn.db) return false;
    const res = await conn.db.admin().ping();
    return res?.ok === 1;
  };
}

/**
 * The one document of `Model.create([doc], { session })`: mongoose takes an array to create
 * inside a transaction and answers one document per element.
 */
export function onlyCreated<T>(docs: readonly T[]): T {
  const [doc] = docs;
  if (docs.length !== 1 || doc === undefined) throw new Error(`expected one created document, got ${docs.length}`);
  return doc;
}
