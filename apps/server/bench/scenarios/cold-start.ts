/**
 * Cold start: the real controller (`pnpm start`'s command line, demo off) on a fresh temp data directory, started
 * twice: a first start (creates the PGlite cluster, migrates, creates the admin user) and a restart on what the
 * first one left. For each: seconds from spawn to the first 200 from /health, and the process's resident memory
 * from then on over a settling window, which is what an operator sees in `top` after `./scripts/start.sh`.
 *
 * What keeps those figures down, besides initdb in a process of its own and PGlite's smaller buffers
 * (db/pglite-db.ts), are the Node flags of apps/server's `start` script, measured here on Node 20, 22 and 26:
 * - `--no-liftoff`: PGlite's 9 MB WebAssembly module is compiled once, optimised, instead of twice (a baseline
 *   tier, then again when hot): about 30 MB less resident, for about a second more before /health.
 * - `--max-semi-space-size=2` (MB): V8's young generation grows to 16 MB × 3 by default; 2 MB saves about 40 MB
 *   for a few more, short, scavenges of a mostly idle controller.
 * - `--expose-gc`: main.ts collects once after starting, so start-up garbage does not sit in memory until pressure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../build';
import type { BenchConfig } from '../config';
import type { ColdStartPhase, ColdStartResult } from '../results';

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** `pnpm start` of apps/server, as argv for this Node: the benchmark measures exactly what people run. */
export function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(SERVER_DIR, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [bin, ...args] = pkg.scripts.start.split(/\s+/);
  if (bin !== 'node') throw new Error(`apps/server's start script must run node directly, got: ${bin}`);
  return args;
}

export async function coldStart(cfg: BenchConfig): Promise<ColdStartResult> {
  // `pnpm start` runs the compiled controller (dist/): measure this tree's code, never an earlier build.
  await buildServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'deploybot-bench-cold-'));
  try {
    const first = await startAndMeasure(dataDir, cfg);
    const restart = await startAndMeasure(dataDir, cfg);
    return { scenario: 'coldstart', settleSeconds: cfg.coldSettleS, first, restart };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function startAndMeasure(dataDir: string, cfg: BenchConfig): Promise<ColdStartPhase> {
  const started = performance.now();
  const child = spawn(process.execPath, startCommand(), {
    cwd: SERVER_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: controllerEnv(dataDir),
  });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const port = await listeningPort(child, output, cfg.timeoutMs);
    await healthy(port, child, output);
    const healthSeconds = (performance.now() - started) / 1000;
    const atHealthMb = await residentMb(child.pid!);
    // The window after /health: PGlite and V8 keep allocating (WebAssembly tier-up, first GCs) for a while.
    let maxMb = atHealthMb;
    const until = performance.now() + cfg.coldSettleS * 1000;
    while (performance.now() < until) {
      await sleep(250);
      maxMb = Math.max(maxMb, await residentMb(child.pid!));
    }
    const endMb = await residentMb(child.pid!);
    const peakMb = await peakResidentMb(child.pid!);
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`the controller exited with ${code} on SIGTERM:\n${tail(output)}`);
    return { healthSeconds, atHealthMb, maxMb, endMb, peakMb };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The controller's defaults with what the benchmark must pin: a throw-away data dir, any free port, no demo. */
function controllerEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('DEPLOYBOT_')) delete env[name];
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS; // tsx's loader flags of this process would change what is measured
  return {
    ...env,
    DEPLOYBOT_DATA_DIR: dataDir,
    DEPLOYBOT_DEMO: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
  };
}

/** Reads the port from the controller's `listening` log line. */
async function listeningPort(child: ChildProcess, output: string[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const line of output.join('').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'DeployBot controller listening' && entry.port) return entry.port;
    }
    if (child.exitCode !== null)
      throw new Error(`the controller exited with ${child.exitCode}:\n${tail(output)}`);
    await sleep(50);
  }
  throw new Error(`the controller did not listen within ${timeoutMs / 1000} s:\n${tail(output)}`);
}

async function healthy(port: number, child: ChildProcess, output: string[]): Promise<void> {
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    if (res?.ok) return;
    if (child.exitCode !== null)
      throw new Error(`the controller exited with ${child.exitCode}:\n${tail(output)}`);
    await sleep(50);
  }
}

/** VmRSS of a process in MB. */
async function residentMb(pid: number): Promise<number> {
  return statusMb(pid, 'VmRSS');
}

/** VmHWM: the most the process was ever resident, in MB. */
async function peakResidentMb(pid: number): Promise<number> {
  return statusMb(pid, 'VmHWM');
}

async function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (status === null) throw new Error('the cold-start scenario reads /proc/<pid>/status: Linux only');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (!kb) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

const tail = (output: string[]) => output.join('').split('\n').slice(-20).join('\n');
