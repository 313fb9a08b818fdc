import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Fleet } from '../fleet/fleet';

export const DEMO_AGENT_HOSTNAME = 'demo-agent';
/** Never `production`: the demo agent runs on the controller's machine, for trying DeployBot out. */
export const DEMO_ENVIRONMENT = 'demo';
/** The agent CLI of this repository; `node` runs it directly (it loads its TypeScript through tsx). */
export const AGENT_BIN = join(import.meta.dirname, '..', '..', '..', 'agent', 'bin', 'deploybot-agent.js');
/** Where the agent keeps its credential: `<state dir>/agent-state.json` (apps/agent/src/credential-store.ts). */
const AGENT_STATE_FILE = 'agent-state.json';
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface DemoAgent {
  process: ChildProcess;
  /** The demo agent's own directory: its work dir and state dir are below it. */
  dir: string;
  stop(): Promise<void>;
}

export class DemoDirError extends Error {}

/**
 * The demo agent's directory: `DEPLOYBOT_DEMO_DIR`, or one of this user's in the system temp dir, named after the
 * data dir so that the demo agent keeps its credential across restarts. Never inside the data dir: a deployment
 * runs in a release below it, and must not find the sealing key or the database a few `..` up.
 */
export async function prepareDemoDir(
  dataDir: string,
  configured?: string,
): Promise<{ dir: string; temporary: boolean }> {
  if (configured) {
    if (dataDir !== 'memory://' && overlaps(configured, dataDir)) {
      throw new DemoDirError(
        `DEPLOYBOT_DEMO_DIR ${configured} and the data dir ${dataDir} must not contain each other`,
      );
    }
    await mkdir(configured, { recursive: true, mode: 0o700 });
    return { dir: configured, temporary: false };
  }
  if (dataDir === 'memory://') {
    return { dir: await mkdtemp(join(tmpdir(), 'deploybot-demo-')), temporary: true };
  }
  const id = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `deploybot-demo-${process.getuid?.() ?? 'user'}-${id}`);
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  // The temp dir is everyone's: a directory of that name made by someone else, or a link, is not ours to use.
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) {
    throw new DemoDirError(
      `${dir} exists but is not a private directory of this user; remove it or set DEPLOYBOT_DEMO_DIR`,
    );
  }
  return { dir, temporary: false };
}

/**
 * Starts the local demo agent as a real child process. The first time, it enrolls exactly as a new server
 * would (join token → connect → register → configure), but without waiting for a person's approval.
 * It starts with a minimal environment: none of the controller's settings (DATABASE_URL, OPENAI_API_KEY, …).
 */
export async function startDemoAgent(opts: {
  fleet: Fleet;
  dataDir: string;
  demoDir?: string;
  controllerUrl: string;
  logger: Logger;
}): Promise<DemoAgent> {
  const { fleet, logger } = opts;
  const { dir, temporary } = await prepareDemoDir(opts.dataDir, opts.demoDir);
  const workdir = join(dir, 'work');
  const stateDir = join(dir, 'state');
  await mkdir(workdir, { recursive: true, mode: 0o700 });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (opts.dataDir !== 'memory://') {
    // Where earlier versions kept the demo agent, credential included, within reach of its deployments.
    await rm(join(opts.dataDir, 'demo', 'agent'), { recursive: true, force: true });
  }

  let registered = await fleet.agents.get(DEMO_AGENT_HOSTNAME).catch(() => null);
  if (registered && !(await holdsCredentialFor(stateDir, opts.controllerUrl))) {
    // The database knows the agent but its credential is gone (a new demo dir, a cleaned temp dir), or was
    // issued for another controller URL (a different port): enroll it afresh rather than leave the demo without
    // an agent.
    await fleet.agents.revoke(registered.id, 'demo');
    await rm(join(stateDir, AGENT_STATE_FILE), { force: true });
    registered = null;
  }
  const enrollment = registered ? null : await fleet.agents.issueJoinToken(DEMO_AGENT_HOSTNAME, 'demo', null);
  const args = [
    AGENT_BIN,
    '--controller',
    opts.controllerUrl,
    '--hostname',
    DEMO_AGENT_HOSTNAME,
    '--workdir',
    workdir,
    '--state-dir',
    stateDir,
  ];
  const env: Record<string, string> = {
    PATH: process.env.PATH || DEFAULT_PATH,
    // Its own home: git and the steps find no configuration or keys of the controller's user there.
    HOME: dir,
    ...pick(process.env, ['LANG', 'TZ', 'TMPDIR']),
    // The token goes through the environment, not argv, so it does not show in `ps`.
    ...(enrollment && { DEPLOYBOT_TOKEN: enrollment.token }),
  };
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const log = logger.child({ component: 'demo-agent', pid: child.pid });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => log.debug(line));
  }
  child.on('exit', (code, signal) => log.info({ code, signal }, 'demo agent exited'));

  if (enrollment) {
    const joinTokenId = await fleet.agents.joinTokenId(enrollment.token);
    if (!joinTokenId) throw new Error('the demo agent join token vanished');
    const joined = await fleet.gateway.waitForEnrollment(joinTokenId, AbortSignal.timeout(60_000));
    const agent = await fleet.agents.register(joined, {
      environment: DEMO_ENVIRONMENT,
      labels: { demo: 'true' },
      by: 'demo',
      runId: null,
    });
    await fleet.gateway.configure(agent.id, { environment: DEMO_ENVIRONMENT, labels: { demo: 'true' } });
    log.info({ agentId: agent.id, dir }, 'demo agent enrolled');
  }

  return {
    process: child,
    dir,
    stop: async () => {
      await new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      });
      if (temporary) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the agent's state file holds a credential issued by the controller at `url`. */
async function holdsCredentialFor(stateDir: string, url: string): Promise<boolean> {
  try {
    const raw = await readFile(join(stateDir, AGENT_STATE_FILE), 'utf8');
    const state = JSON.parse(raw) as { controller?: string; credential?: string };
    const same = (a: string) => new URL(a).href.replace(/\/+$/, '');
    return (
      Boolean(state.credential) && state.controller !== undefined && same(state.controller) === same(url)
    );
  } catch {
    return false;
  }
}

function pick(source: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value) out[name] = value;
  }
  return out;
}

/** Whether either path is the other or below it. */
function overlaps(a: string, b: string): boolean {
  const inside = (outer: string, inner: string) => {
    const rel = relative(resolve(outer), resolve(inner));
    return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
  };
  return inside(a, b) || inside(b, a);
}
