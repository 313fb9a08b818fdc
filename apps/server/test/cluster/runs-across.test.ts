/**
 * Runs across controllers (issue 15, items 1–3), with real processes: three controllers on one PostgreSQL. A run
 * started on A is approved on B while a browser-like socket client on C sees every event in order; a cancel
 * given to B stops the step running on A; SIGKILL of the controller owning runs with steps in flight leaves them
 * to the others, each step finished once and no run lost.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../fleet/support/fleet-harness';
import { WORKFLOWS } from '../helpers/http-client';
import { type ClientSocket, connectClient, EventLog } from '../helpers/socket-client';
import { type Cluster, type ClusterController, startCluster } from './support/cluster';

/**
 * Short leases: a dead controller's runs move within about 3 s. Renewed every 750 ms, so a controller starved
 * of CPU on a busy machine must stall over 2 s before another takes its runs.
 */
const LEASE_MS = 3000;

let cluster: Cluster;
let markers: string;
let A: ClusterController;
let B: ClusterController;
let C: ClusterController;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  markers = await mkdtemp(join(tmpdir(), 'deploybot-cluster-markers-'));
  cluster = await startCluster({
    size: 3,
    env: { DEPLOYBOT_LEASE_MS: String(LEASE_MS), DEPLOYBOT_TEST_MARKER_DIR: markers },
  });
  ({ A, B, C } = cluster.byName as Record<'A' | 'B' | 'C', ClusterController>);
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await cluster?.close();
  await rm(markers, { recursive: true, force: true });
});

const diag = () => `\n${cluster.logs().slice(-15_000)}`;

/** What each controller process did with a run's steps: `started <pid> <step>` lines (cluster-workflows.ts). */
async function marks(runId: string): Promise<string[]> {
  try {
    return (await readFile(join(markers, runId), 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function runOn(c: ClusterController, id: string): Promise<WorkflowRun> {
  return c.api.run(id);
}

const ended = (run: WorkflowRun) => ['completed', 'failed', 'cancelled'].includes(run.status);

async function eventTypes(runId: string): Promise<string[]> {
  const rows = await cluster.db.query<{ type: string; step_id: string | null }>(
    'SELECT type, step_id FROM workflow_events WHERE run_id = $1 ORDER BY seq',
    [runId],
  );
  return rows.map((e) => `${e.type}${e.step_id ? `:${e.step_id}` : ''}`);
}

describe('runs across three controllers', () => {
  it('a run started on A and approved on B: a socket client on C sees every event, in order, no gap', async () => {
    const onC = await connectClient(C.url);
    sockets.push(onC);
    const seenOnC = new EventLog(onC);
    const ack = await onC.timeout(10_000).emitWithAck('workflows:subscribe', {});
    expect(ack, JSON.stringify(ack)).toHaveProperty('data');

    const started = await A.api.start('gated_change', { service: 'api' });
    const waiting = await waitFor(
      'the gate',
      () => runOn(B, started.id),
      (r) => r.status === 'waiting',
      30_000,
    );
    expect(waiting.currentStep).toBe('review');
    const approved = await B.api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/approve`, {
      approved: true,
      note: 'from B',
      user_input: 'green',
    });
    expect(approved.status, approved.text).toBe(200);
    const done = await waitFor('the run to end', () => runOn(C, started.id), ended, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    expect(done.status).toBe('completed');

    await seenOnC.waitFor((e) => e.runId === started.id && e.seq === done.seq, 'the last event on C', 20_000);
    const seqs = seenOnC.of(started.id).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: done.seq }, (_, i) => i + 1));
    expect(seenOnC.of(started.id).map((e) => e.type)).toContain('step.approved');
  });

  it('a cancel given to B aborts the step running on A', async () => {
    const started = await A.api.start('marked_wait', { ms: 60_000 });
    await waitFor(
      'the step to start',
      () => marks(started.id),
      (m) => m.length === 1,
      30_000,
    );
    const [line] = await marks(started.id);
    const pidOfA = line!.split(' ')[1];

    const cancelled = await B.api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/cancel`, {
      reason: 'wrong one',
    });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    // Long before its 60 s: the owner heard of the cancel and aborted the step where it runs.
    const m = await waitFor(
      'the step on A to be aborted',
      () => marks(started.id),
      (x) => x.length === 2,
      15_000,
    );
    expect(m).toEqual([`started ${pidOfA} work`, `aborted ${pidOfA} work`]);
    expect(await eventTypes(started.id)).toEqual(['run.started', 'step.started:work', 'run.cancelled:work']);
  });

  it('a controller paused past its lease (SIGSTOP) cannot commit once resumed: its runs were taken over', async () => {
    const started = await A.api.start('marked_wait', { ms: 3000 });
    const [line] = await waitFor(
      'the step to start',
      () => marks(started.id),
      (m) => m.length === 1,
      30_000,
    );
    const pidOfA = Number(line!.split(' ')[1]);
    process.kill(pidOfA, 'SIGSTOP');
    try {
      const done = await waitFor('B or C to finish the run', () => runOn(B, started.id), ended, 60_000);
      expect(done.status).toBe('completed');
    } finally {
      process.kill(pidOfA, 'SIGCONT');
    }
    // A wakes up, finishes its own attempt of the step, and tries to commit it: fenced, nothing is written.
    const m = await waitFor(
      'A to finish its stale attempt',
      () => marks(started.id),
      (x) => x.includes(`finished ${pidOfA} work`),
      30_000,
    );
    expect(m.filter((l) => l.endsWith(' after'))).toHaveLength(1);
    expect(m.filter((l) => l.endsWith(' after'))[0]).not.toContain(`${pidOfA}`);
    // A is serving again, and the run's history has each step once.
    expect((await A.api.run(started.id)).status).toBe('completed');
    const types = await eventTypes(started.id);
    expect(types.filter((t) => t === 'step.completed:work')).toHaveLength(1);
    expect(types.filter((t) => t === 'run.completed')).toHaveLength(1);
  });

  it('SIGKILL of the controller owning runs with steps in flight: another finishes each, every step once', async () => {
    // Started on A: A owns them. Each step takes 3 s, so all are in flight when A dies.
    const runs = await Promise.all(Array.from({ length: 6 }, () => A.api.start('marked_wait', { ms: 3000 })));
    await waitFor(
      'every step to start on A',
      () => Promise.all(runs.map((r) => marks(r.id))),
      (all) => all.every((m) => m.length === 1),
      30_000,
    );
    const killedAt = Date.now();
    await A.kill();
    const done = await waitFor(
      'every run to finish on B or C',
      () => Promise.all(runs.map((r) => runOn(B, r.id))),
      (all) => all.every(ended),
      60_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    const failoverMs = Date.now() - killedAt;
    expect(done.map((r) => r.status)).toEqual(runs.map(() => 'completed'));
    for (const run of runs) {
      const m = await marks(run.id);
      // Started on A and cut off; re-run once on whoever claimed it, which then ran the next step.
      expect(m.filter((l) => l.startsWith('started') && l.endsWith(' work'))).toHaveLength(2);
      expect(m.filter((l) => l.startsWith('finished'))).toHaveLength(1);
      expect(m.filter((l) => l.endsWith(' after'))).toHaveLength(1);
      const types = await eventTypes(run.id);
      expect(types.filter((t) => t === 'step.completed:work')).toHaveLength(1);
      expect(types.filter((t) => t === 'run.completed')).toHaveLength(1);
    }
    // The lease (3 s) plus the 3 s step re-run, with room for a busy machine.
    expect(failoverMs).toBeLessThan(45_000);
    await A.restart();
  });
});
