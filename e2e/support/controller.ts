import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, type ControllerState, ROOT } from './env';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the web app unless dist/ is newer than every source file. */
export function buildWebIfNeeded(): void {
  const web = join(ROOT, 'apps', 'web');
  const index = join(web, 'dist', 'index.html');
  const sources = Math.max(newestMtime(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs > sources) return;
  const res = spawnSync('pnpm', ['--filter', '@deploybot/web', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('building the web app failed');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts the real controller (embedded database, demo repository and agent) and waits until the demo agent is online. */
export async function startController(): Promise<ControllerState> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'deploybot-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const logFile = join(dataDir, 'controller.log');
  const out = openSync(logFile, 'a');
  const child = spawn('node', ['--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DEPLOYBOT_DATA_DIR: dataDir,
      DEPLOYBOT_DEMO: 'true',
      DEPLOYBOT_PUBLIC_URL: baseUrl,
      DEPLOYBOT_ADMIN_TOKEN: ADMIN_TOKEN,
      DEPLOYBOT_HEARTBEAT_MS: '500',
      DEPLOYBOT_OFFLINE_AFTER_MS: '2000',
      DEPLOYBOT_JOB_LOST_GRACE_MS: '3000',
      // Every test signs in with the admin's link; the default (10 a minute per address) is for people.
      DEPLOYBOT_LOGIN_RATE_LIMIT: '1000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  await waitFor(
    async () => (await fetch(`${baseUrl}/health`)).ok,
    'the controller to answer /health',
    60_000,
  );
  await waitFor(
    async () => {
      const res = await fetch(`${baseUrl}/v1/agents`, { headers });
      const body = (await res.json()) as { agents?: { hostname: string; status: string }[] };
      return body.agents?.some((a) => a.hostname === 'demo-agent' && a.status === 'online') ?? false;
    },
    'the demo agent to come online',
    60_000,
  );
  return { pid: child.pid!, port, baseUrl, dataDir, logFile };
}

/** Stops the controller (and its demo agent) with SIGTERM, then SIGKILL if it lingers. */
export async function stopController(state: ControllerState): Promise<void> {
  const alive = () => {
    try {
      process.kill(state.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(state.pid, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(state.pid, 'SIGKILL');
}
