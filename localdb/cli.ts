import { startLocalDb } from './index.js';

/** Parsed command line of `npm run localdb`. */
interface CliArgs {
  port: number;
  host: string;
  dbPath?: string;
}

const USAGE = 'usage: npm run localdb -- [--port 27017] [--host 127.0.0.1] [--dbpath DIR | --memory]';

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { port: 27017, host: '127.0.0.1', dbPath: '.data/localdb' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
        args.port = port;
        break;
      }
      case '--host':
      case '--bind_ip':
        args.host = value();
        break;
      case '--dbpath':
        args.dbPath = value();
        break;
      case '--memory':
        args.dbPath = undefined;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const db = await startLocalDb({ port: args.port, host: args.host, dbPath: args.dbPath });
  console.log(`localdb listening on ${db.uri} (${args.dbPath ? `data in ${args.dbPath}` : 'in memory'})`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`localdb: ${signal}, shutting down`);
    db.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('localdb: shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

void main().catch((err: unknown) => {
  console.error('localdb: failed to start', err);
  process.exit(1);
});
