import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentDto, JobDto, LogLine, WorkflowRun } from '@deploybot/shared';
import pino from 'pino';
import { type App, createApp } from '../../../src/app';
import type { PgliteDb } from '../../../src/db/pglite-db';
import { AGENT_BIN } from '../../../src/demo/demo-agent';
import type { FleetOptions } from '../../../src/fleet/fleet';
import { createPgliteTestDb } from '../../../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../../../src/testing/test-security';
import { builtInWorkflows } from '../../../src/workflows';
import { type ApiClient, apiClient, stepStatuses, WORKFLOWS } from '../../helpers/http-client';

/** Short fleet timings, so that offline agents and lost jobs are noticed within seconds. */
/**
 * Short enough that losing an agent takes seconds, long enough that a controller busy with other work (a log
 * flood, a CPU-bound neighbour) is not mistaken for agents going silent: offline after 12 missed heartbeats.
 */
export const FLEET_TIMINGS = {
  heartbeatIntervalMs: 250,
  offlineAfterMs: 3_000,
  jobLostGraceMs: 2_000,
  joinTokenTtlMs: 60_000,
  jobTimeoutSec: 60,
} as const;

export const AGENT_VERSION = (
  JSON.parse(readFileSync(join(AGENT_BIN, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;

export interface Controller {
  app: App;
  db: PgliteDb;
  /** `http://127.0.0.1:<port>`, also the fleet's publicUrl. */
  url: string;
  api: ApiClient;
  /** A temp dir of this controller's own: agents' work dirs, repositories, pid files. */
  tmp: string;
  /** Where the slow manifest step writes its pids (agents get it as FLEET_TEST_PIDS). */
  pidDir: string;
  /** The work dir the enroll command gives `hostname`. */
  workdirOf(hostname: string): string;
  close(): Promise<void>;
}

/** The real controller (fleet, engine, HTTP, Socket.IO) on an in-memory PGlite with the four built-in workflows. */
export async function startController(
  name: string,
  overrides: Partial<Omit<FleetOptions, 'publicUrl'>> = {},
): Promise<Controller> {
  const tmp = await mkdtemp(join(tmpdir(), `deploybot-fleet-${name}-`));
  try {
    return await buildController(tmp, overrides);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function buildController(
  tmp: string,
  overrides: Partial<Omit<FleetOptions, 'publicUrl'>>,
): Promise<Controller> {
  const pidDir = join(tmp, 'pids');
  await mkdir(pidDir);
  const workdirOf = (hostname: string) => join(tmp, 'agents', hostname);
  const db = await createPgliteTestDb();
  // The port is known only once listening; the fleet keeps this object, so publicUrl is filled in below.
  const fleet: FleetOptions = { ...FLEET_TIMINGS, ...overrides, publicUrl: 'http://127.0.0.1:0' };
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    version: '0.0.0-fleet-test',
    fleet,
    workflows: (f) =>
      builtInWorkflows({
        fleet: f,
        // As main.ts builds it: runnable as is on this machine.
        enrollCommand: (hostname, token) =>
          `DEPLOYBOT_TOKEN=${token} node ${AGENT_BIN} --controller ${fleet.publicUrl} --hostname ${hostname} --workdir ${workdirOf(hostname)}`,
        connectTimeoutMs: 20_000,
        agentReturnTimeoutMs: 20_000,
      }),
    fleetSweepMs: 200,
    security: TEST_SECURITY,
  });
  const port = await app.listen(0, '127.0.0.1');
  // The bootstrap admin: every request of these tests carries its token (apiClient's default).
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  const url = `http://127.0.0.1:${port}`;
  fleet.publicUrl = url;
  return {
    app,
    db,
    url,
    api: apiClient(url),
    tmp,
    pidDir,
    workdirOf,
    async close() {
      await killAllAgents();
      await app.close();
      await db.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ agent processes

export interface AgentProcess {
  hostname: string;
  workdir: string;
  child: ChildProcess;
  /** Everything the agent wrote (its pino log goes to stderr). */
  output(): string;
  /** Resolves with the first output line matching `re`. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL (or another signal) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** Kills every agent process still running (afterAll). */
export async function killAllAgents(): Promise<void> {
  await Promise.all(
    [...alive].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** The agent CLI as a real process: `node apps/agent/bin/deploybot-agent.js …`, with a minimal environment. */
export function spawnAgent(
  args: string[],
  opts: { hostname: string; workdir: string; env?: Record<string, string> },
): AgentProcess {
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      // Beside the work dir, in the test's temp dir: not in the home dir of whoever runs the tests.
      DEPLOYBOT_STATE_DIR: `${opts.workdir}.state`,
      // Steps get only allow-listed variables; the test manifests read these two.
      DEPLOYBOT_PASS_ENV: 'FLEET_TEST_PIDS,FLEET_TEST_FAST',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: string) => {
    output = (output + chunk).slice(-200_000);
    for (const l of listeners) l();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);

  return {
    hostname: opts.hostname,
    workdir: opts.workdir,
    child,
    output: () => output,
    waitForOutput(re, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.split('\n').find((l) => re.test(l));
          if (line === undefined) return false;
          done();
          resolve(line);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`agent ${opts.hostname} wrote nothing matching ${re}; output:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        if (!check()) listeners.add(check);
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

/** Starts an agent with explicit flags; the token (if any) goes through DEPLOYBOT_TOKEN, as the README advises. */
export function startAgentProcess(
  c: Controller,
  hostname: string,
  opts: { token?: string; workdir?: string; env?: Record<string, string> } = {},
): AgentProcess {
  const workdir = opts.workdir ?? c.workdirOf(hostname);
  return spawnAgent(
    [AGENT_BIN, '--controller', c.url, '--hostname', hostname, '--workdir', workdir, '--log-level', 'info'],
    {
      hostname,
      workdir,
      env: {
        FLEET_TEST_PIDS: c.pidDir,
        ...(opts.token && { DEPLOYBOT_TOKEN: opts.token }),
        ...opts.env,
      },
    },
  );
}

/**
 * Runs the command register_agent shows (`DEPLOYBOT_TOKEN={{join_token}} node <bin> --controller … --workdir …`)
 * with the revealed token in place of the placeholder, split on spaces without a shell: every part of it is
 * validated (host name, token, paths of this test) and contains no spaces.
 */
export function runEnrollCommand(
  command: string,
  token: string,
  hostname: string,
  env: Record<string, string> = {},
) {
  const [assignment, program, ...args] = command.split(' ');
  if (assignment !== 'DEPLOYBOT_TOKEN={{join_token}}' || program !== 'node') {
    throw new Error(`unexpected enroll command: ${command}`);
  }
  const workdir = args[args.indexOf('--workdir') + 1]!;
  return spawnAgent(args, { hostname, workdir, env: { DEPLOYBOT_TOKEN: token, ...env } });
}

/** The join token of a register_agent run, revealed the way its starter (here the admin) sees it. */
export async function revealJoinToken(c: Controller, runId: string): Promise<string> {
  const res = await c.api.post<{ secrets: { join_token?: string } }>(`/v1/ai/workflows/${runId}/reveal`);
  if (res.status !== 200 || !res.body.secrets.join_token)
    throw new Error(`reveal answered ${res.status}: ${res.text}`);
  return res.body.secrets.join_token;
}

// ------------------------------------------------------------------ polling the REST API

export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
  describe: (value: T) => string = (v) => JSON.stringify(v).slice(0, 2000),
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last seen: ${describe(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function waitForRun(
  c: Controller,
  id: string,
  done: (run: WorkflowRun) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<WorkflowRun> {
  return waitFor(
    `${what} (run ${id})`,
    () => c.api.run(id),
    done,
    timeoutMs,
    (run) => `status ${run.status} error ${JSON.stringify(run.error)} steps ${stepStatuses(run)}`,
  );
}

export const awaitingApproval = (stepId: string) => (run: WorkflowRun) =>
  run.status === 'waiting' &&
  run.currentStep === stepId &&
  run.steps.find((s) => s.id === stepId)?.status === 'awaiting_approval';

export const finished = (run: WorkflowRun) =>
  run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';

export async function approve(
  c: Controller,
  runId: string,
  stepId: string,
  extra: { user_input?: unknown; note?: string } = {},
): Promise<WorkflowRun> {
  const res = await c.api.post<WorkflowRun>(`${WORKFLOWS}/${runId}/approve`, {
    approved: true,
    step_id: stepId,
    ...extra,
  });
  if (res.status !== 200) throw new Error(`approve ${stepId} answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function reject(c: Controller, runId: string, stepId: string, note?: string) {
  const res = await c.api.post<WorkflowRun>(`${WORKFLOWS}/${runId}/approve`, {
    approved: false,
    step_id: stepId,
    ...(note && { note }),
  });
  if (res.status !== 200) throw new Error(`reject ${stepId} answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function getJob(c: Controller, id: string): Promise<JobDto> {
  const res = await c.api.get<JobDto>(`/v1/jobs/${id}`);
  if (res.status !== 200) throw new Error(`GET job ${id} answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function listJobs(c: Controller, query = ''): Promise<JobDto[]> {
  const res = await c.api.get<{ jobs: JobDto[] }>(`/v1/jobs?limit=500${query}`);
  if (res.status !== 200) throw new Error(`GET jobs answered ${res.status}: ${res.text}`);
  return res.body.jobs;
}

/** Every stored line of a job, page by page (a page is bounded in bytes). */
export async function jobLogs(c: Controller, id: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for (let after = -1; ; ) {
    const res = await c.api.get<{ lines: LogLine[]; next: number | null }>(
      `/v1/jobs/${id}/logs?after=${after}&limit=10000`,
    );
    if (res.status !== 200) throw new Error(`GET logs ${id} answered ${res.status}: ${res.text}`);
    lines.push(...res.body.lines);
    if (res.body.next === null) return lines;
    after = res.body.next;
  }
}

export async function listAgents(c: Controller): Promise<AgentDto[]> {
  const res = await c.api.get<{ agents: AgentDto[] }>('/v1/agents');
  if (res.status !== 200) throw new Error(`GET agents answered ${res.status}: ${res.text}`);
  return res.body.agents;
}

export async function agentStatus(c: Controller, hostname: string): Promise<AgentDto['status'] | 'missing'> {
  return (await listAgents(c)).find((a) => a.hostname === hostname)?.status ?? 'missing';
}

export function waitForJob(
  c: Controller,
  id: string,
  done: (job: JobDto) => boolean,
  what: string,
  ms = 20_000,
) {
  return waitFor(`job ${id} ${what}`, () => getJob(c, id), done, ms);
}

export const jobFinished = (job: JobDto) =>
  job.status === 'success' || job.status === 'failed' || job.status === 'cancelled';

export async function registerRepository(c: Controller, name: string, url: string): Promise<void> {
  const res = await c.api.post('/v1/repositories', { name, url, default_ref: 'main' });
  if (res.status !== 201) throw new Error(`POST /v1/repositories answered ${res.status}: ${res.text}`);
}

// ------------------------------------------------------------------ whole workflows

export interface EnrolledAgent {
  agent: AgentProcess;
  agentId: string;
  runId: string;
}

/**
 * Enrolls `hostname` through register_agent exactly as an operator would: start, run the command shown
 * (or, with `tokenVia: 'env'`, the same agent with the token in DEPLOYBOT_TOKEN), approve twice.
 */
export async function enrollAgent(
  c: Controller,
  hostname: string,
  opts: { env?: Record<string, string>; environment?: string; tokenVia?: 'command' | 'env' } = {},
): Promise<EnrolledAgent> {
  const started = await c.api.start('register_agent', {
    hostname,
    ...(opts.environment && { environment: opts.environment }),
  });
  const validated = await waitForRun(
    c,
    started.id,
    (r) => r.steps[0]!.status === 'completed' || finished(r),
    'validate_hostname',
  );
  const command = (validated.steps[0]!.data as { command: string }).command;
  const token = await revealJoinToken(c, started.id);
  const agent =
    opts.tokenVia === 'env'
      ? startAgentProcess(c, hostname, { token, env: opts.env })
      : runEnrollCommand(command, token, hostname, { FLEET_TEST_PIDS: c.pidDir, ...opts.env });
  await waitForRun(c, started.id, awaitingApproval('check_connectivity'), 'connectivity check');
  await approve(c, started.id, 'check_connectivity');
  await waitForRun(c, started.id, awaitingApproval('register'), 'register plan');
  await approve(c, started.id, 'register');
  const done = await waitForRun(c, started.id, finished, 'register_agent to finish');
  if (done.status !== 'completed')
    throw new Error(`register_agent ${hostname} ${done.status}: ${done.error}`);
  await waitFor(
    `${hostname} online`,
    () => agentStatus(c, hostname),
    (s) => s === 'online',
  );
  return { agent, agentId: done.context.agent_id as string, runId: started.id };
}

/**
 * Starts deploy_application and approves select_agent (optionally picking `agent`); returns the run once
 * it has moved past the first gate.
 */
export async function startDeploy(
  c: Controller,
  context: { repository: string; ref: string; environment?: string },
  agent?: string,
): Promise<WorkflowRun> {
  const run = await c.api.start('deploy_application', context);
  await waitForRun(c, run.id, awaitingApproval('select_agent'), 'select_agent plan');
  return approve(c, run.id, 'select_agent', agent ? { user_input: agent } : {});
}

/** deploy_application through both gates to the end; returns the finished run. */
export async function deploy(
  c: Controller,
  context: { repository: string; ref: string },
  agent?: string,
): Promise<WorkflowRun> {
  const run = await startDeploy(c, context, agent);
  const atJob = await waitForRun(
    c,
    run.id,
    (r) => awaitingApproval('create_job')(r) || finished(r),
    'create_job plan',
  );
  if (finished(atJob)) return atJob;
  await approve(c, run.id, 'create_job');
  return waitForRun(c, run.id, finished, 'deploy to finish', 30_000);
}

// ------------------------------------------------------------------ processes of a step

/** Whether `pid` is a running process (a zombie waiting to be reaped counts as gone). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The pids the slow step wrote for `jobId`, once both files exist. */
export async function stepPids(c: Controller, jobId: string, timeoutMs = 15_000) {
  const leader = join(c.pidDir, `${jobId}.leader`);
  const grandchild = join(c.pidDir, `${jobId}.grandchild`);
  await waitFor(
    `the slow step of job ${jobId} to write its pids`,
    async () => existsSync(leader) && existsSync(grandchild),
    (ok) => ok,
    timeoutMs,
  );
  return {
    leader: Number((await readFile(leader, 'utf8')).trim()),
    grandchild: Number((await readFile(grandchild, 'utf8')).trim()),
  };
}

/** Kills a step's process group left behind by a SIGKILLed agent (nobody else can). */
export function killGroup(leader: number): void {
  try {
    process.kill(-leader, 'SIGKILL');
  } catch {
    // already gone
  }
}
