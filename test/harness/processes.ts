/**
 * Real child processes for the lifecycle and production-start tests: spawned as a user, process
 * manager or container runtime would (each in a process group of its own), with their output
 * captured and the group inspected through /proc afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** 40 characters each: what a production deployment configures (never the development defaults). */
export const PRODUCTION_SECRETS = {
  INTERNAL_SECRET: 'prod-internal-3f9c1e7a5b2d4f6081a3c5e7b9d1f2a4',
  JWT_SECRET: 'prod-jwt-8e2b4c6d1f3a5e7092b4d6f8a0c2e4b6d8',
} as const;

export interface Spawned {
  child: ChildProcess;
  /** Process group id (the child's pid: it leads a group of its own). */
  pgid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Environment besides PATH and HOME (nothing else leaks in from the test runner). */
  env?: Record<string, string>;
  /** Keep reading stdout (default true); false leaves the pipe unread once its buffer is full. */
  readStdout?: boolean;
}

/** Spawns `command args` in the repository, in a new process group, with stdout/stderr piped. */
export function spawnInGroup(command: string, args: string[], opts: SpawnOptions = {}): Spawned {
  const { env = {}, readStdout = true } = opts;
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  if (readStdout) child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  return { child, pgid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once `test` holds for the output, rejects after `timeoutMs` or when the process exits first. */
export async function waitForOutput(p: Spawned, test: (stdout: string, stderr: string) => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (!test(p.stdout(), p.stderr())) {
    if (exited) throw new Error(`exited before the expected output:\n${p.stdout()}\n${p.stderr()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`expected output not seen within ${timeoutMs} ms:\n${p.stdout()}\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for the exit; rejects after `timeoutMs`. */
export async function exitWithin(p: Spawned, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no exit within ${timeoutMs} ms; group ${p.pgid}: ${JSON.stringify(liveProcessesInGroup(p.pgid))}\n${p.stdout()}\n${p.stderr()}`)), timeoutMs);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LiveProcess {
  pid: number;
  ppid: number;
  state: string;
  command: string;
}

/** Processes of a group that are still alive (zombies left out), from /proc. */
export function liveProcessesInGroup(pgid: number): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const [state = '', ppid, pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) !== pgid || state === 'Z' || state === 'X') continue;
    let command = stat.slice(stat.indexOf('(') + 1, close);
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() || command;
    } catch {
      // gone meanwhile
    }
    found.push({ pid: Number(entry), ppid: Number(ppid), state, command });
  }
  return found;
}

/** Polls until no live process is left in the group; answers what is left after `timeoutMs`. */
export async function groupGone(pgid: number, timeoutMs = 5_000): Promise<LiveProcess[]> {
  const started = Date.now();
  for (;;) {
    const left = liveProcessesInGroup(pgid);
    if (left.length === 0 || Date.now() - started > timeoutMs) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills whatever is left of a group (test clean-up). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // nothing left
  }
}
