/**
 * `npm run seed [-- --only <parts>] [--organizer <userId>]`: seeds demo data into the subgraphs'
 * databases on MONGODB_URI (for the multi-process deployment; `npm start` seeds by itself). Each
 * part (`events`, `registrations`, `people`, `partner`, `payments`, `integrations`) is written only
 * into an empty collection; data already there is left as it is.
 *
 * Outside production every part is seeded unless `--only` names some. In production nothing is
 * seeded by default: the command refuses (exit status 2) unless `--only` names production-safe
 * parts — only `events`, the public event catalogue, which then needs `--organizer`, the id of an
 * existing user who will own the events. Demo people and the demo partner credentials are never
 * seeded in production.
 */
import { parseArgs } from 'node:util';
import { ConfigError, SUBGRAPH_NAMES, loadCommonConfig } from '../platform/config.js';
import { databaseName, openConnection } from '../subgraphs/kit/db.js';
import { datasetsOf, planDemoSeed } from '../subgraphs/kit/demo.js';
import { runMain } from '../platform/process.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string', multiple: true }, organizer: { type: 'string' } }, strict: true });
  const config = loadCommonConfig();
  const plan = planDemoSeed({ production: config.nodeEnv === 'production', only: values.only, organizer: values.organizer });
  if (!config.mongodbUri) throw new ConfigError('MONGODB_URI must be set (npm start seeds the embedded database by itself)');
  // Loaded once the plan is accepted: a refusal answers without loading the four subgraphs.
  const { SUBGRAPHS } = await import('../subgraphs/registry.js');
  for (const name of SUBGRAPH_NAMES) {
    const datasets = datasetsOf(plan, name);
    if (datasets.length === 0) continue;
    const conn = await openConnection(config.mongodbUri, databaseName(name));
    try {
      const { seeded } = await SUBGRAPHS[name].seed(conn, plan);
      console.log(`${name} (${datasets.join(', ')}): ${seeded ? 'seeded' : 'already has data, left as is'}`);
    } finally {
      await conn.close();
    }
  }
}

runMain(main);
