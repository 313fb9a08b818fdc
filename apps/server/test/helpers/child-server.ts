import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_ADMIN_TOKEN } from '../../src/testing/test-security';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const ENTRY = 'apps/server/test/fixtures/crash-server.ts';
/** A controller of a test cluster (test/cluster): built-in and test workflows, the real fleet. */
export const CLUSTER_ENTRY = 'apps/server/test/fixtures/cluster-server.ts';

export interface ChildServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** What the child wrote to stderr (its logs), for failure messages. */
  stderr(): string;
}

/** Every child still alive, so a failing test cannot leave one behind. */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * Starts the crash-test server (or another fixture, `entry` from the repository root) as a real process
 * (`node --import tsx`, so the pid is the server itself).
 */
export async function spawnServer(
  env: Record<string, string>,
  timeoutMs = 120_000,
  entry = ENTRY,
): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DEPLOYBOT_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout! });
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
      lines.on('line', (line) => {
        const match = /^LISTENING (\d+)$/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolvePort(Number(match[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited (code ${code}, signal ${signal}) before listening`));
      });
    });
    return { child, port, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
  } catch (err) {
    await killHard(child);
    throw new Error(`${(err as Error).message}\n--- stderr ---\n${stderr}`);
  }
}

/** kill -9, and wait until the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** SIGTERM (a clean shutdown); resolves with the exit code. Falls back to kill -9 after `graceMs`. */
export async function stopGracefully(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** Kills every child still running (afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...alive].map((child) => killHard(child)));
}
