import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_NAMESPACE, type JobDto, type JobStatusUpdate } from '@deploybot/shared';
import pino from 'pino';
import { Server as SocketServer } from 'socket.io';
import { FakeAgent } from '../../../../test/security/support/fake-agent';
import { AuditLog } from '../../../auth/audit-log';
import type { Db } from '../../../db/db';
import type { Clock } from '../../../engine/ports';
import { SecretBox } from '../../../engine/secrets';
import type { StepContext } from '../../../engine/types';
import { isStepWait, type StepResult, type StepWait } from '../../../engine/types';
import type { AgentNamespace } from '../../../fleet/agent-gateway';
import { DEFAULT_FLEET_OPTIONS, Fleet } from '../../../fleet/fleet';
import { createPgliteTestDb } from '../../../testing/test-db';
import type { WorkflowDeps } from '../../workflow-deps';

/**
 * Test support for the fleet's step kinds: a real Fleet on an in-memory PGlite, with its agent gateway on a real
 * Socket.IO server, so kinds are exercised against real agents' protocol (FakeAgent speaks it over a socket),
 * real git and the real stores. The clock can be moved; the fleet and the kinds read the same one.
 */
export interface FleetFixture {
  db: Db;
  fleet: Fleet;
  url: string;
  clock: Clock & { advance(ms: number): void };
  deps: WorkflowDeps;
  /** A step context as the engine would give it (a new run unless `runId` is given). */
  ctx(over?: Partial<StepContext>): StepContext;
  /** A git repository on `main` with one commit, registered as `name`. */
  repository(name: string): Promise<{ url: string; sha: string }>;
  /** A fake agent enrolled and registered as `hostname`, online, holding its credential. */
  enroll(hostname: string, environment?: string): Promise<{ agent: FakeAgent; agentId: string }>;
  /** The agent reports a job's status, as a real one would. */
  report(agent: FakeAgent, update: JobStatusUpdate): Promise<JobDto>;
  close(): Promise<void>;
}

const exec = promisify(execFile);

export async function startFleetFixture(
  options: Partial<Pick<WorkflowDeps, 'connectTimeoutMs' | 'agentReturnTimeoutMs' | 'explain'>> = {},
): Promise<FleetFixture> {
  const db = await createPgliteTestDb();
  const io = new SocketServer({ serveClient: false });
  const http = createServer();
  io.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  let offsetMs = 0;
  const clock = {
    now: () => new Date(Date.now() + offsetMs),
    advance: (ms: number) => {
      offsetMs += ms;
    },
  };
  const fleet = new Fleet(
    db,
    io.of(AGENT_NAMESPACE) as unknown as AgentNamespace,
    { ...DEFAULT_FLEET_OPTIONS, publicUrl: url },
    clock,
    pino({ level: 'silent' }),
    new AuditLog(db, clock),
    SecretBox.ephemeral(),
  );
  const deps: WorkflowDeps = {
    fleet,
    enrollCommand: (hostname, token) =>
      `deploybot-agent --controller ${url} --hostname ${hostname} --token ${token}`,
    connectTimeoutMs: options.connectTimeoutMs ?? 600_000,
    agentReturnTimeoutMs: options.agentReturnTimeoutMs ?? 600_000,
    ...(options.explain && { explain: options.explain }),
  };
  const agents: FakeAgent[] = [];
  const tmp = await mkdtemp(join(tmpdir(), 'deploybot-kinds-'));

  return {
    db,
    fleet,
    url,
    clock,
    deps,
    ctx(over = {}) {
      const runId = over.runId ?? randomUUID();
      const stepId = over.stepId ?? 'step';
      const startedBy = over.startedBy ?? 'alice';
      return {
        runId,
        stepId,
        attempt: 1,
        context: { steps: {} },
        signal: new AbortController().signal,
        idempotencyKey: `${runId}:${stepId}`,
        startedBy,
        scope: { inputs: {}, steps: {}, run: { id: runId, started_by: startedBy } },
        now: () => clock.now(),
        ...over,
      };
    },
    async repository(name) {
      const dir = join(tmp, name.replace('/', '__'));
      const git = (...args: string[]) =>
        exec(
          'git',
          ['-C', dir, '-c', 'user.name=Kinds Test', '-c', 'user.email=kinds@deploybot.invalid', ...args],
          { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, GIT_TERMINAL_PROMPT: '0' } },
        );
      await exec('mkdir', ['-p', dir]);
      await git('init', '-q', '-b', 'main');
      await writeFile(join(dir, 'deploybot.yml'), 'steps:\n  - name: build\n    run: echo built\n');
      await git('add', '.');
      await git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'initial');
      const sha = (await git('rev-parse', 'HEAD')).stdout.trim();
      await fleet.repositories.create({ name, url: dir, defaultRef: 'main' }, 'admin');
      return { url: dir, sha };
    },
    async enroll(hostname, environment = 'production') {
      const { token } = await fleet.agents.issueJoinToken(hostname, 'admin', null);
      const joinTokenId = (await fleet.agents.joinTokenId(token))!;
      const agent = await FakeAgent.connect(url, token, hostname);
      agents.push(agent);
      const hello = await agent.hello();
      if ('error' in hello) throw new Error(`hello refused: ${hello.error.message}`);
      const enrollment = fleet.gateway.enrollment(joinTokenId)!;
      const dto = await fleet.agents.register(enrollment, {
        environment,
        labels: {},
        by: 'admin',
        runId: null,
      });
      return { agent, agentId: dto.id };
    },
    async report(agent, update) {
      const ack = (await agent.ask('job:status', update)) as { error?: { message: string } };
      if (ack.error) throw new Error(`job:status refused: ${ack.error.message}`);
      return fleet.jobs.get(update.jobId);
    },
    async close() {
      for (const agent of agents) agent.close();
      await fleet.close();
      io.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await db.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

export { AGENT_INFO, FakeAgent } from '../../../../test/security/support/fake-agent';

/** A gate's plan that did not wait (tests of plans that show at once). */
export function planOf(result: StepResult | StepWait): StepResult {
  if (isStepWait(result)) throw new Error(`expected a plan, got a wait under ${result.wait.key}`);
  return result;
}
