/**
 * The demo agent runs deployments on the controller's own machine. These tests start the real controller
 * (`apps/server/src/main.ts`) as a process, as `pnpm start` does, and deploy a repository to its demo agent that
 * looks for the controller's secrets: in its environment, and a few `..` up from its release.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AgentDto, JobDto, LogLine, RepositoryDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../../src/testing/test-security';
import { call } from './support/http';

const exec = promisify(execFile);
const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
/** Set in the controller's environment: none of it may reach a deployment. */
const CONTROLLER_SECRETS = { OPENAI_API_KEY: 'sk-controller-secret-0123456789' };
const admin = { token: TEST_ADMIN_TOKEN };

/** Looks for the controller's data around the release and prints its environment. */
const SNOOP_MANIFEST = `steps:
  - name: snoop
    run: |
      echo "release=$(pwd)"
      env | sort | sed 's/^/env: /'
      d=$(pwd)
      while [ "$d" != / ]; do
        for f in secret.key pgdata agent-state.json .deploybot-agent.json; do
          if [ -e "$d/$f" ]; then echo "FOUND $d/$f"; fi
        done
        d=$(dirname "$d")
      done
      for up in .. ../.. ../../.. ../../../.. ../../../../.. ../../../../../..; do
        if cat "$up/secret.key" 2>/dev/null; then echo "FOUND through $up"; fi
      done
      echo snooped
`;

interface Controller {
  child: ChildProcess;
  url: string;
  /** The controller's pino log, one JSON object per line. */
  log: Record<string, unknown>[];
  stop(): Promise<void>;
}

async function startMain(env: Record<string, string>): Promise<Controller> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: '0',
      DEPLOYBOT_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      log.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // the first-start banner is plain text
    }
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const until = Date.now() + 150_000;
  for (;;) {
    const listening = log.find((l) => l.msg === 'DeployBot controller listening');
    if (listening) return { child, url: `http://127.0.0.1:${listening.port}`, log, stop };
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`the controller did not start:\n${stderr}\n${JSON.stringify(log)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const agents = async (c: Controller) =>
  (await call<{ agents: AgentDto[] }>(c.url, 'GET', '/v1/agents', { creds: admin })).body.agents;

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'deploybot-demo-test-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the demo agent, on a controller that listens on loopback only', () => {
  let c: Controller;
  let dataDir: string;

  beforeAll(async () => {
    // As from a checkout in a home dir (./data): not under the temp dir the demo agent lives in.
    dataDir = join(tmp, 'home', 'deploybot', 'data');
    await mkdir(join(tmp, 'tmp'), { recursive: true });
    c = await startMain({
      HOST: '127.0.0.1',
      HOME: join(tmp, 'home'),
      // The default demo dir is in the system temp dir: this one, here.
      TMPDIR: join(tmp, 'tmp'),
      DEPLOYBOT_DATA_DIR: dataDir,
      ...CONTROLLER_SECRETS,
    });
    await waitFor(
      'the demo agent to come online',
      () => agents(c),
      (list) => list.some((a) => a.hostname === 'demo-agent' && a.status === 'online'),
    );
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
  });

  it('registers as environment "demo", not production', async () => {
    const demo = (await agents(c)).find((a) => a.hostname === 'demo-agent')!;
    expect(demo.environment).toBe('demo');
    expect(demo.labels).toEqual({ demo: 'true' });
  });

  it('is started with a minimal environment: none of the controller settings', async () => {
    const [agentPid] = childrenOf(c.child.pid!).filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('deploybot-agent.js'),
    );
    expect(agentPid).toBeDefined();
    const names = readFileSync(`/proc/${agentPid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => kv.slice(0, kv.indexOf('=')));
    expect(
      names.filter((n) => !['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'DEPLOYBOT_TOKEN'].includes(n)),
    ).toEqual([]);
  });

  it("a deployment on it finds neither the controller's secrets in its environment nor its data a few .. up", async () => {
    const repoDir = join(tmp, 'repos', 'snoop');
    await mkdir(repoDir, { recursive: true });
    await writeFile(join(repoDir, 'deploybot.yml'), SNOOP_MANIFEST);
    const git = (...args: string[]) =>
      exec('git', ['-C', repoDir, '-c', 'user.name=T', '-c', 'user.email=t@deploybot.invalid', ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: repoDir },
      });
    await git('init', '-q', '-b', 'main');
    await git('add', '.');
    await git('commit', '-q', '-m', 'snoop');
    const repo = await call<RepositoryDto>(c.url, 'POST', '/v1/repositories', {
      creds: admin,
      body: { name: 'demo/snoop', url: repoDir },
    });
    expect(repo.status, repo.text).toBe(201);
    const created = await call<JobDto>(c.url, 'POST', '/v1/jobs', {
      creds: admin,
      body: { repository: 'demo/snoop', ref: 'main', agent: 'demo-agent' },
    });
    expect(created.status, created.text).toBe(201);
    const job = await waitFor(
      'the job to finish',
      async () => (await call<JobDto>(c.url, 'GET', `/v1/jobs/${created.body.id}`, { creds: admin })).body,
      (j) => ['success', 'failed', 'cancelled'].includes(j.status),
    );
    const lines = (
      await call<{ lines: LogLine[] }>(c.url, 'GET', `/v1/jobs/${job.id}/logs?limit=10000`, { creds: admin })
    ).body.lines.map((l) => l.line);
    const text = lines.join('\n');
    expect(job.status, text).toBe('success');
    expect(lines, text).toContain('snooped');
    expect(text).not.toMatch(/FOUND/);
    expect(text).not.toContain(CONTROLLER_SECRETS.OPENAI_API_KEY);
    // The sealing key the controller generated in its data dir.
    const sealingKey = readFileSync(join(dataDir, 'secret.key'), 'utf8').trim();
    expect(sealingKey.length).toBeGreaterThan(20);
    expect(text).not.toContain(sealingKey);
    expect(text).not.toContain(TEST_ADMIN_TOKEN);
    const env = lines.filter((l) => l.startsWith('env: ')).map((l) => l.slice(5, l.indexOf('=')));
    expect(env).not.toContain('OPENAI_API_KEY');
    expect(env).not.toContain('DEPLOYBOT_DATA_DIR');
    expect(lines).toContain('env: DEPLOYBOT_ENVIRONMENT=demo');
    const release = lines.find((l) => l.startsWith('release='))!.slice('release='.length);
    expect(job.releaseDir).toBe(release);
    expect(relative(dataDir, release).startsWith('..'), `${release} is inside ${dataDir}`).toBe(true);
    // Nor does the agent credential sit in the tree the release is in.
    const credential = await waitFor(
      'the demo ready log line',
      async () =>
        c.log.find((l) => l.msg === 'demo ready: try deploy_application with demo/hello-app at main'),
      (l) => l !== undefined,
    );
    const demoDir = String(credential?.dir);
    expect(existsSync(join(demoDir, 'state', 'agent-state.json'))).toBe(true);
    expect(relative(join(demoDir, 'work'), join(demoDir, 'state')).startsWith('..')).toBe(true);
    expect(relative(join(tmp, 'tmp'), demoDir).startsWith('..')).toBe(false);
  });
});

describe('the demo on a controller others can reach', () => {
  it('stays off when HOST is beyond loopback, and the log says why', async () => {
    const c = await startMain({
      HOST: '0.0.0.0',
      HOME: join(tmp, 'home'),
      TMPDIR: tmp,
      DEPLOYBOT_DATA_DIR: join(tmp, 'data-public'),
    });
    try {
      // Decided and logged once the controller listens.
      const line = await waitFor(
        'the log line about the demo',
        async () => c.log.find((l) => typeof l.msg === 'string' && l.msg.startsWith('demo')),
        (l) => l !== undefined,
      );
      expect(line?.msg).toMatch(/^demo off: the controller listens on 0\.0\.0\.0, beyond this machine/);
      expect(await agents(c)).toEqual([]);
      const repos = await call<{ repositories: RepositoryDto[] }>(c.url, 'GET', '/v1/repositories', {
        creds: admin,
      });
      expect(repos.body.repositories.map((r) => r.name)).not.toContain('demo/hello-app');
    } finally {
      await c.stop();
    }
  }, 120_000);
});
