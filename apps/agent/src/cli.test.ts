/**
 * The real CLI, spawned as an operator would start it, against a real Socket.IO server standing in for the
 * controller: handshake, hello, heartbeat, ping, configure, credential exchange and reconnect, a pushed job from
 * a real git repository, and a clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AgentInfo,
  agentHandshakeSchema,
  agentInfoSchema,
  type Heartbeat,
  heartbeatSchema,
  type JobLogs,
  type JobStatusUpdate,
  jobLogsSchema,
  jobStatusUpdateSchema,
  SOCKET_MAX_MESSAGE_BYTES,
} from '@deploybot/shared';
import { Server, type Socket } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId, makeRepo, processGone, removeTempDirs, tempDir, waitFor } from './test-helpers';

const AGENT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(AGENT_DIR, '../..');
const BIN = path.relative(REPO_ROOT, path.join(AGENT_DIR, 'bin/deploybot-agent.js'));
const JOIN_TOKEN = 'join-token-0123456789abcdef';
const CREDENTIAL = `cred-${'x'.repeat(40)}`;

/** A minimal controller: records what the agent sends and lets the test drive it. */
class FakeController {
  readonly http: HttpServer = createServer();
  readonly io = new Server(this.http, { maxHttpBufferSize: SOCKET_MAX_MESSAGE_BYTES });
  handshakes: Record<string, unknown>[] = [];
  sockets: Socket[] = [];
  hellos: AgentInfo[] = [];
  heartbeats: Heartbeat[] = [];
  logs: JobLogs[] = [];
  statuses: JobStatusUpdate[] = [];
  refuseNext = 0;
  /** Log batches to take without answering, as if the acks were lost, before dropping the connection. */
  swallowLogs = 0;
  url = '';

  async start(): Promise<void> {
    const ns = this.io.of('/agents');
    ns.use((socket, next) => {
      this.handshakes.push(socket.handshake.auth);
      if (this.refuseNext > 0) {
        this.refuseNext--;
        next(new Error('unauthorized: unknown token'));
      } else next();
    });
    ns.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('agent:hello', (info, ack) => {
        this.hellos.push(agentInfoSchema.parse(info));
        ack({ data: { agentId: 'agent-1', heartbeatIntervalMs: 150, logReceipts: true } });
      });
      socket.on('agent:heartbeat', (hb) => this.heartbeats.push(heartbeatSchema.parse(hb)));
      socket.on('job:logs', (batch, ack) => {
        const parsed = jobLogsSchema.parse(batch);
        if (this.swallowLogs > 0) {
          // Stored, but the answer is lost with the connection: the agent must send it again.
          this.logs.push(parsed);
          if (--this.swallowLogs === 0) socket.disconnect(true);
          return;
        }
        this.logs.push(parsed);
        ack({ data: { stored: parsed.lines.length, capped: false } });
      });
      socket.on('job:status', (update, ack) => {
        this.statuses.push(jobStatusUpdateSchema.parse(update));
        ack({ data: { ok: true } });
      });
    });
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  get socket(): Socket {
    return this.sockets.at(-1)!;
  }

  lines(id: string) {
    return this.logs.filter((b) => b.jobId === id).flatMap((b) => b.lines);
  }

  /** Each line once, by seq, as the controller stores them (a line sent twice is stored once). */
  uniqueLines(id: string) {
    return [...new Map(this.lines(id).map((l) => [l.seq, l])).values()].sort((a, b) => a.seq - b.seq);
  }

  final(id: string) {
    return this.statuses.find((s) => s.jobId === id && s.status !== 'running');
  }

  async stop(): Promise<void> {
    this.io.close();
    await new Promise((r) => this.http.close(r));
  }
}

interface Agent {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startAgent(
  controller: string,
  workdir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
  stateDir = `${workdir}.state`,
): Agent {
  let stderr = '';
  const child = spawn(
    process.execPath,
    [
      BIN,
      '--controller',
      controller,
      '--hostname',
      'web-01',
      '--workdir',
      workdir,
      '--state-dir',
      stateDir,
      '--log-level',
      'debug',
      ...extraArgs,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

describe('deploybot-agent CLI against a Socket.IO controller', () => {
  const controller = new FakeController();
  let workdir: string;
  let stateDir: string;
  let agent: Agent | null = null;

  beforeAll(async () => {
    await controller.start();
    workdir = await tempDir();
    stateDir = await tempDir();
  });

  afterAll(async () => {
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await controller.stop();
    await removeTempDirs();
  });

  it('enrolls, serves the controller, runs a job and stops on SIGTERM', async () => {
    const repo = await makeRepo({
      'deploybot.yml': `steps:
  - name: build
    run: |
      for i in 1 2 3; do echo "line $i"; done
      echo "warning" >&2
      echo "$DEPLOYBOT_SHA" > sha.txt
`,
    });
    // The first handshake is refused: the agent must say so and keep trying, not crash.
    controller.refuseNext = 1;
    const a = startAgent(controller.url, workdir, [], { DEPLOYBOT_TOKEN: JOIN_TOKEN }, stateDir);
    agent = a;
    const diag = () => `agent stderr:\n${a.stderr()}`;

    await waitFor(() => controller.hellos.length === 1, 15_000, `hello (${diag()})`);
    expect(a.stderr()).toContain('controller refused the connection: unauthorized: unknown token');
    expect(controller.handshakes).toHaveLength(2);
    for (const auth of controller.handshakes) {
      expect(agentHandshakeSchema.parse(auth)).toEqual({
        token: JOIN_TOKEN,
        hostname: 'web-01',
        version: '0.1.0',
        protocol: 1,
      });
    }
    const hello = controller.hellos[0]!;
    expect(hello).toMatchObject({ version: '0.1.0', workdir, workdirWritable: true, runningJobs: [] });
    expect(hello.gitVersion).toMatch(/^\d+\.\d+/);

    await waitFor(() => controller.heartbeats.length >= 2, 5_000, 'heartbeats');
    expect(controller.heartbeats[0]).toMatchObject({ runningJobs: [] });

    const pong = await controller.socket
      .timeout(2_000)
      .emitWithAck('agent:ping', { sentAt: new Date().toISOString() });
    expect(Number.isNaN(Date.parse(pong.receivedAt))).toBe(false);

    const configured = await controller.socket
      .timeout(5_000)
      .emitWithAck('agent:configure', { environment: 'production', labels: { zone: 'eu-1' } });
    expect(configured.data.info.workdirWritable).toBe(true);
    expect(configured.data.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'git', ok: true }),
        expect.objectContaining({ name: 'workdir', ok: true }),
        expect.objectContaining({ name: 'disk' }),
      ]),
    );
    const badConfigure = await controller.socket
      .timeout(2_000)
      .emitWithAck('agent:configure', { environment: 7 });
    expect(badConfigure.error).toMatchObject({ code: 'bad_request' });

    // Credential exchange: stored 0600, then used on the next connection instead of the spent join token.
    const stored = await controller.socket
      .timeout(2_000)
      .emitWithAck('agent:credential', { credential: CREDENTIAL });
    expect(stored).toEqual({ data: { ok: true } });
    // In the state dir, not in the work dir where the steps run.
    const stateFile = path.join(stateDir, 'agent-state.json');
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({
      credential: CREDENTIAL,
      hostname: 'web-01',
      environment: 'production',
      labels: { zone: 'eu-1' },
    });
    controller.socket.disconnect(true);
    await waitFor(() => controller.hellos.length === 2, 10_000, `hello after reconnect (${diag()})`);
    expect(controller.handshakes.at(-1)).toMatchObject({ token: CREDENTIAL });

    // A pushed job.
    const job = {
      jobId: jobId(),
      repository: { name: 'demo/hello-app', url: repo.dir },
      ref: 'main',
      sha: repo.sha,
      timeoutSec: 60,
    };
    const bad = await controller.socket.timeout(2_000).emitWithAck('job:assign', { ...job, sha: 'HEAD' });
    expect(bad.error).toMatchObject({ code: 'bad_request' });
    expect(bad.error.message).toMatch(/sha/);
    const accepted = await controller.socket.timeout(2_000).emitWithAck('job:assign', job);
    expect(accepted).toEqual({ data: { accepted: true } });

    await waitFor(() => controller.final(job.jobId), 15_000, `job to finish (${diag()})`);
    expect(controller.final(job.jobId)).toMatchObject({ status: 'success', exitCode: 0 });
    expect(controller.statuses.find((s) => s.jobId === job.jobId)?.status).toBe('running');
    const lines = controller.lines(job.jobId);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual([
      'line 1',
      'line 2',
      'line 3',
    ]);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['warning']);
    expect(lines.map((l) => l.line)).toContain('$ step build');
    const current = path.join(workdir, 'demo__hello-app', 'current');
    expect(await readlink(current)).toBe(`releases/${job.jobId}`);
    expect((await readFile(path.join(current, 'sha.txt'), 'utf8')).trim()).toBe(repo.sha);

    // SIGTERM while a job runs: the job is cancelled and reported, its processes die, the agent exits 0.
    const slow = await repo.commit({
      'deploybot.yml': 'steps:\n  - name: hang\n    run: sleep 300 & echo $! > gc.pid; wait\n',
    });
    const long = { ...job, jobId: jobId(), sha: slow };
    await controller.socket.timeout(2_000).emitWithAck('job:assign', long);
    const pidFile = path.join(workdir, 'demo__hello-app', 'releases', long.jobId, 'gc.pid');
    const grandchild = await waitFor(
      async () => Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined,
      10_000,
      'the long step to start',
    );
    await waitFor(
      () => controller.heartbeats.at(-1)?.runningJobs.includes(long.jobId),
      5_000,
      'heartbeat with the job',
    );
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(controller.final(long.jobId)).toMatchObject({
      status: 'cancelled',
      cause: 'cancelled',
      step: 'hang',
    });
    await waitFor(() => processGone(grandchild), 2_000, 'the step to die');
  });

  it('on restart prefers the stored credential to --token', async () => {
    const before = controller.handshakes.length;
    const a = startAgent(controller.url, workdir, ['--token', 'another-join-token-0000'], {}, stateDir);
    agent = a;
    await waitFor(() => controller.handshakes.length > before, 15_000, `a new handshake (${a.stderr()})`);
    expect(controller.handshakes.at(-1)).toMatchObject({ token: CREDENTIAL, hostname: 'web-01' });
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });

  it('moves a credential an older agent left in the work dir to the state dir, and uses it', async () => {
    const oldWorkdir = await tempDir();
    const newStateDir = await tempDir();
    const legacy = path.join(oldWorkdir, '.deploybot-agent.json');
    await writeFile(
      legacy,
      JSON.stringify({ controller: controller.url, hostname: 'web-01', credential: CREDENTIAL }),
      { mode: 0o600 },
    );
    const before = controller.handshakes.length;
    const a = startAgent(controller.url, oldWorkdir, [], {}, newStateDir);
    agent = a;
    await waitFor(() => controller.handshakes.length > before, 15_000, `a handshake (${a.stderr()})`);
    expect(controller.handshakes.at(-1)).toMatchObject({ token: CREDENTIAL });
    expect(a.stderr()).toContain('moved the agent state out of the work dir');
    await expect(stat(legacy)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(JSON.parse(await readFile(path.join(newStateDir, 'agent-state.json'), 'utf8'))).toMatchObject({
      credential: CREDENTIAL,
    });
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });

  it('sends again the log batches whose acks were lost, so a job ends with every line, in order', async () => {
    const repo = await makeRepo({
      'deploybot.yml': `steps:
  - name: noisy
    run: |
      i=0
      while [ $i -lt 400 ]; do
        printf '%s %015000d\\n' "$i" 0
        i=$((i+1))
      done
`,
    });
    const a = startAgent(controller.url, workdir, [], {}, stateDir);
    agent = a;
    const before = controller.hellos.length;
    await waitFor(() => controller.hellos.length > before, 15_000, `hello (${a.stderr()})`);
    // The first batch arrives but its answer does not: the connection drops with it.
    controller.swallowLogs = 1;
    const job = {
      jobId: jobId(),
      repository: { name: 'demo/hello-app', url: repo.dir },
      ref: 'main',
      sha: repo.sha,
      timeoutSec: 60,
    };
    await controller.socket.timeout(2_000).emitWithAck('job:assign', job);
    await waitFor(() => controller.final(job.jobId), 30_000, `job to finish (${a.stderr()})`);
    expect(controller.final(job.jobId)).toMatchObject({ status: 'success' });
    expect(controller.hellos.length).toBeGreaterThan(before + 1);
    const lines = controller.uniqueLines(job.jobId);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
    expect(out).toHaveLength(400);
    out.forEach((line, i) => {
      expect(line.startsWith(`${i} `)).toBe(true);
      expect(line).toHaveLength(String(i).length + 1 + 15_000);
    });
    // Some lines came twice (the batch whose ack was lost), and each batch fit in one message.
    expect(controller.lines(job.jobId).length).toBeGreaterThan(lines.length);
    for (const b of controller.logs) {
      expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThan(SOCKET_MAX_MESSAGE_BYTES);
    }
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });
});
