/**
 * Production runs the controller compiled (`pnpm build`: dist/main.js), not through tsx. This builds it and starts
 * it exactly as `pnpm start` does (its command line from package.json), with the embedded database on a fresh data
 * dir and the demo on: every file the code finds beside itself must be there, which the source layout tests
 * never see (migrations and the PGlite initdb script, the built-in workflow documents, package.json, the demo
 * agent's binary outside apps/server).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, DIST_DIR } from '../build';
import { TEST_ADMIN_TOKEN } from '../src/testing/test-security';

const SERVER_DIR = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(SERVER_DIR, 'package.json'), 'utf8')) as {
  version: string;
  scripts: { start: string };
};
const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

async function poll<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 150_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read().catch((err: Error) => err);
    if (!(value instanceof Error) && done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${String(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the built controller (dist/main.js)', () => {
  let dataDir: string;
  let child: ChildProcess;
  let output = '';
  let url: string;

  beforeAll(async () => {
    await buildServer();
    dataDir = await mkdtemp(join(tmpdir(), 'deploybot-bundle-'));
    const [bin, ...args] = pkg.scripts.start.split(/\s+/);
    expect(bin).toBe('node');
    child = spawn(process.execPath, args, {
      cwd: SERVER_DIR,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        DEPLOYBOT_DATA_DIR: join(dataDir, 'data'),
        DEPLOYBOT_DEMO: 'true',
        DEPLOYBOT_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    let port = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      if (line.includes('"DeployBot controller listening"'))
        port = (JSON.parse(line) as { port: number }).port;
    });
    const until = Date.now() + 150_000;
    while (!port && child.exitCode === null && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    if (!port) throw new Error(`the built controller did not listen (exit ${child.exitCode}):\n${output}`);
    url = `http://127.0.0.1:${port}`;
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs without a TypeScript loader', () => {
    expect(pkg.scripts.start).toMatch(/ dist\/main\.js$/);
    expect(pkg.scripts.start).not.toMatch(/tsx/);
  });

  it('answers /health with its version and is ready: every migration it ships is applied', async () => {
    const health = await poll(
      '/health',
      async () => (await fetch(`${url}/health`)).json() as Promise<{ status: string; version: string }>,
      (body) => body.status === 'ok',
    );
    expect(health.version).toBe(pkg.version);
    const sql = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.sql'));
    // What /health/ready compares with the database is the bundle's copy: it must be all of them.
    expect(sql(join(DIST_DIR, 'db', 'migrations'))).toEqual(sql(join(SERVER_DIR, 'src', 'db', 'migrations')));
    const ready = await fetch(`${url}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { migrations: { ok: true } } });
  });

  it('has its built-in workflows and starts the demo agent', async () => {
    const res = await fetch(`${url}/v1/ai/workflows/definitions`, { headers: auth });
    expect(res.status).toBe(200);
    const names = JSON.stringify(await res.json());
    for (const name of ['register_agent', 'deploy_application', 'troubleshoot_failure', 'health_check']) {
      expect(names).toContain(name);
    }
    await poll(
      'the demo agent to come online',
      async () =>
        (await (await fetch(`${url}/v1/agents`, { headers: auth })).json()) as {
          agents: { hostname: string; status: string }[];
        },
      (body) => body.agents.some((a) => a.hostname === 'demo-agent' && a.status === 'online'),
    );
  });
});
