/**
 * `npm run seed`: seeds the demo data into every subgraph's database on MONGODB_URI (for the
 * multi-process deployment; `npm start` seeds by itself). Databases that already hold data are left
 * as they are.
 */
import { ConfigError, SUBGRAPH_NAMES, loadCommonConfig } from '../subgraphs/kit/config.js';
import { databaseName, openConnection } from '../subgraphs/kit/db.js';
import { runMain } from '../subgraphs/kit/process.js';
import { SUBGRAPHS } from '../subgraphs/registry.js';

async function main(): Promise<void> {
  const config = loadCommonConfig();
  if (!config.mongodbUri) throw new ConfigError('MONGODB_URI must be set (npm start seeds the embedded database by itself)');
  for (const name of SUBGRAPH_NAMES) {
    const conn = await openConnection(config.mongodbUri, databaseName(name));
    try {
      const { seeded } = await SUBGRAPHS[name].seed(conn);
      console.log(`${name}: ${seeded ? 'seeded' : 'already has data, left as is'}`);
    } finally {
      await conn.close();
    }
  }
}

runMain(main);
