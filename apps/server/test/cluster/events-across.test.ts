/**
 * Live events everywhere (issue 15, item 3), with real processes: a browser's socket on one controller receives
 * what happens on the others, through Socket.IO's PostgreSQL adapter and, with REDIS_URL, its Redis adapter:
 * every event of a run started on A and approved on B, in order and without a gap, on C; a job's log lines and
 * status from an agent held by A, on B; a chat reply produced on A, on C.
 */
import type { ChatMessageDto, ChatSessionDto, JobDto, LogLine, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, waitFor } from '../fleet/support/fleet-harness';
import { isStatus, isWaitingAt, WORKFLOWS } from '../helpers/http-client';
import { ask, type ClientSocket, connectClient, dataOf, EventLog, RunMirror } from '../helpers/socket-client';
import {
  type Cluster,
  type ClusterController,
  enrollClusterAgent,
  logs,
  registerClusterRepo,
  releaseJob,
  startCluster,
} from './support/cluster';

const REDIS_URL = process.env.DEPLOYBOT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each([
  { adapter: 'PostgreSQL', env: {} as Record<string, string> },
  { adapter: 'Redis', env: { REDIS_URL } },
])('live events reach a client on any controller, through $adapter', ({ adapter, env }) => {
  let cluster: Cluster;
  let A: ClusterController;
  let B: ClusterController;
  let C: ClusterController;
  let agent: AgentProcess;
  const clients: ClientSocket[] = [];
  const diag = () => `\n--- agent ---\n${agent?.output().slice(-4000)}\n${cluster?.logs().slice(-12000)}`;

  beforeAll(async () => {
    cluster = await startCluster({ size: 3, env });
    expect(cluster.logs()).toContain(`Socket.IO events cross controllers through ${adapter}`);
    ({ A, B, C } = cluster.byName as Record<'A' | 'B' | 'C', ClusterController>);
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.close();
  });

  const client = async (c: ClusterController) => {
    const socket = await connectClient(c.url);
    clients.push(socket);
    return socket;
  };

  it('runs started on A and approved on B are seen on C: every event, seq 1..N, in order', async () => {
    const onC = await client(C);
    const all = new EventLog(onC);
    dataOf(await ask(onC, 'workflows:subscribe', {}));

    // Two runs at once, one of them with events over NOTIFY's 8,000 bytes (the adapter stores those in a table
    // and notifies their id): large and small events must still arrive in the order they were emitted.
    const small = await A.api.start('gated_change', { service: 'web' });
    const large = await A.api.start('gated_change', { service: 'x'.repeat(4_000) });
    // A second client on C follows one run alone, by the documented rule (snapshot, then seq = last + 1).
    const mirror = new RunMirror(await client(C), large.id, (id) => C.api.run(id));
    await mirror.subscribe();

    const done: WorkflowRun[] = [];
    for (const run of [small, large]) {
      await A.api.waitForRun(run.id, isWaitingAt('review'));
      const approved = await B.api.post<WorkflowRun>(`${WORKFLOWS}/${run.id}/approve`, {
        approved: true,
        step_id: 'review',
        user_input: 'blue',
      });
      expect(approved.status, approved.text).toBe(200);
    }
    for (const run of [small, large]) done.push(await A.api.waitForRun(run.id, isStatus('completed')));

    for (const run of done) {
      await all
        .waitFor((e) => e.runId === run.id && e.type === 'run.completed', 'run.completed on C', 20_000)
        .catch((err) => {
          throw new Error(`${(err as Error).message}${diag()}`);
        });
      const seqs = all.of(run.id).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: run.seq }, (_, i) => i + 1));
      expect(all.of(run.id).at(-1)?.run.status).toBe('completed');
    }
    // Its first message carries the whole run (the service twice: input and context), past NOTIFY's 8,000 bytes.
    expect(Math.max(...all.of(large.id).map((e) => JSON.stringify(e.message).length))).toBeGreaterThan(8_000);

    const mirrored = await mirror.until(
      (r) => r.status === 'completed',
      'the mirror on C to complete',
      20_000,
    );
    expect(mirror.gaps).toEqual([]);
    expect(mirrored.seq).toBe(done[1]!.seq);
  }, 60_000);

  it("a job's log lines and status from an agent held by A reach a client on B", async () => {
    await registerClusterRepo(cluster, A, 'acme/api');
    ({ agent } = await enrollClusterAgent(cluster, 'api-01', [A]));
    const onB = await client(B);
    const received: LogLine[] = [];
    const statuses: JobDto['status'][] = [];
    onB.on('job:log', (batch) => received.push(...batch.lines));
    onB.on('job:status', (j) => statuses.push(j.status));

    // Created through C: neither the creator nor the watcher holds the agent's socket.
    const created = await C.api.post<JobDto>('/v1/jobs', {
      repository: 'acme/api',
      ref: 'long',
      agent: 'api-01',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    const snapshot = dataOf(await ask(onB, 'job:subscribe', { jobId: id }));
    // Lines that arrive while it runs come as events, not only in the snapshot.
    await waitFor(
      `tick lines of job ${id} as events on B`,
      async () => received.filter((l) => l.line.startsWith('tick')).length,
      (n) => n >= 3,
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    await releaseJob(cluster, id);
    await waitFor(
      `job ${id} to end, seen on B`,
      async () => statuses,
      (s) => s.includes('success'),
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    expect(received.map((l) => l.line)).toContain('long step done');

    // Snapshot and events together are the stored log, each line once by seq, none missing.
    const stored = await logs(A, id);
    const seen = new Map([...snapshot.lines, ...received].map((l) => [l.seq, l.line]));
    expect([...seen.entries()].sort(([a], [b]) => a - b)).toEqual(stored.map((l) => [l.seq, l.line]));
  }, 120_000);

  it("a chat session's messages, sent on A, reach its subscriber on C", async () => {
    const session = await A.api.post<ChatSessionDto>('/v1/ai/sessions', {});
    expect(session.status, session.text).toBe(201);
    const onC = await client(C);
    const messages: ChatMessageDto[] = [];
    onC.on('chat:message', (m) => messages.push(m));
    dataOf(await ask(onC, 'chat:subscribe', { sessionId: session.body.id }));

    const onA = await client(A);
    const sent = dataOf(await ask(onA, 'chat:send', { sessionId: session.body.id, message: 'help' }));
    await waitFor(
      'the reply on C',
      async () => messages,
      (list) => list.some((m) => m.id === sent.replyId && m.status === 'complete'),
      20_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    expect(messages.find((m) => m.id === sent.userMessage.id)).toMatchObject({
      role: 'user',
      content: 'help',
    });
  }, 60_000);
});
