import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';

function startCli(args: string[]): Promise<{ uri: string; exit: Promise<number | null>; kill: (s: NodeJS.Signals) => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const uri = /listening on (\S+)/.exec(out)?.[1];
      if (uri !== undefined) resolve({ uri, exit, kill: (s) => child.kill(s) });
    });
    void exit.then((code) => reject(new Error(`cli exited (${code}): ${out}`)));
  });
}

describe('cli', () => {
  it('serves clients and shuts down cleanly on SIGTERM and SIGINT', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'localdb-cli-'));
    try {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const cli = await startCli(['--port', '0', '--dbpath', dir]);
        const client = await MongoClient.connect(cli.uri);
        await client.db('c').collection('x').insertOne({ signal });
        expect(await client.db('c').collection('x').countDocuments()).toBe(signal === 'SIGTERM' ? 1 : 2);
        await client.close();
        cli.kill(signal);
        expect(await cli.exit).toBe(0);
      }
      expect(fs.existsSync(path.join(dir, 'localdb.lock'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown options', async () => {
    await expect(startCli(['--bogus'])).rejects.toThrow(/exited \(2\)/);
  });
});
