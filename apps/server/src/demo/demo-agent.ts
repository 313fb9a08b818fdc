import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Fleet } from '../fleet/fleet';

export const DEMO_AGENT_HOSTNAME = 'demo-agent';
/** The agent CLI of this repository; `node` runs it directly (it loads its TypeScript through tsx). */
export const AGENT_BIN = join(import.meta.dirname, '..', '..', '..', 'agent', 'bin', 'deploybot-agent.js');
/** Where the agent keeps its credential, inside its work dir. */
const AGENT_STATE_FILE = '.deploybot-agent.json';

export interface DemoAgent {
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the local demo agent as a real child process. The first time, it enrolls exactly as a new server
 * would (join token → connect → register → configure), but without waiting for a person's approval.
 */
export async function startDemoAgent(opts: {
  fleet: Fleet;
  dataDir: string;
  controllerUrl: string;
  logger: Logger;
}): Promise<DemoAgent> {
  const { fleet, logger } = opts;
  const workdir = join(opts.dataDir, 'demo', 'agent');
  await mkdir(workdir, { recursive: true });
  let registered = await fleet.agents.get(DEMO_AGENT_HOSTNAME).catch(() => null);
  if (registered && !(await holdsCredentialFor(workdir, opts.controllerUrl))) {
    // The database knows the agent but its credential is gone, or was issued for another controller URL
    // (a different port): enroll it afresh rather than leave the demo without an agent.
    await fleet.agents.revoke(registered.id, 'demo');
    await rm(join(workdir, AGENT_STATE_FILE), { force: true });
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
  ];
  // The token goes through the environment, not argv, so it does not show in `ps`.
  const env = { ...process.env, ...(enrollment && { DEPLOYBOT_TOKEN: enrollment.token }) };
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
      environment: 'production',
      labels: { demo: 'true' },
      by: 'demo',
      runId: null,
    });
    await fleet.gateway.configure(agent.id, { environment: 'production', labels: { demo: 'true' } });
    log.info({ agentId: agent.id }, 'demo agent enrolled');
  }

  return {
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** Whether the agent's state file holds a credential issued by the controller at `url`. */
async function holdsCredentialFor(workdir: string, url: string): Promise<boolean> {
  try {
    const raw = await readFile(join(workdir, AGENT_STATE_FILE), 'utf8');
    const state = JSON.parse(raw) as { controller?: string; credential?: string };
    const same = (a: string) => new URL(a).href.replace(/\/+$/, '');
    return (
      Boolean(state.credential) && state.controller !== undefined && same(state.controller) === same(url)
    );
  } catch {
    return false;
  }
}
