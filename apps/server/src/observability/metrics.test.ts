import type { StepRecord, WorkflowEvent, WorkflowEventType, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteDb } from '../db/pglite-db';
import { SqlWorkflowStore } from '../db/workflow-store';
import { systemClock } from '../engine/ports';
import { parseExposition } from '../testing/prometheus-text';
import { createPgliteTestDb } from '../testing/test-db';
import { createMetrics, type LeaseStats } from './metrics';

let db: PgliteDb;
beforeAll(async () => {
  db = await createPgliteTestDb();
});
afterAll(async () => {
  await db?.close();
});

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function step(id: string, kind: StepRecord['kind'], patch: Partial<StepRecord> = {}): StepRecord {
  return {
    id,
    title: id,
    description: '',
    kind,
    status: 'pending',
    needsApproval: kind === 'gate',
    summary: null,
    data: null,
    plan: null,
    input: null,
    error: null,
    attempt: 1,
    startedAt: null,
    finishedAt: null,
    deadline: null,
    decisions: [],
    ...patch,
  };
}

/** A run of `name` as it stands after a transition, with its steps as given. */
function run(id: string, name: string, status: WorkflowRun['status'], steps: StepRecord[]): WorkflowRun {
  return {
    id,
    name,
    title: name,
    version: 1,
    status,
    progress: 0,
    context: {},
    steps,
    currentStep: null,
    error: null,
    startedBy: 'tester',
    createdAt: at(0),
    updatedAt: at(0),
    seq: 0,
  } as WorkflowRun;
}

let seq = 0;
const event = (type: WorkflowEventType, r: WorkflowRun, second: number, stepId: string | null = null) =>
  ({ runId: r.id, seq: ++seq, type, at: at(second), stepId, run: r }) as WorkflowEvent;

type Metrics = ReturnType<typeof createMetrics>;
type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/**
 * Scrapes as Prometheus would (the text must parse), then reads the registry's own values: the parser folds a
 * histogram's label sets together (see testing/prometheus-text.ts), these tests need them apart.
 */
async function scrape(metrics: Metrics) {
  const { contentType, body } = await metrics.exposition();
  expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  const { families } = parseExposition(body);
  const samples = new Map<string, Sample[]>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    samples.set(metric.name, metric.values as Sample[]);
  }
  const matching = (name: string, labels: Record<string, string>, metricName = name) =>
    (samples.get(name) ?? []).filter(
      (v) =>
        (v.metricName ?? name) === metricName && Object.entries(labels).every(([k, x]) => v.labels[k] === x),
    );
  return {
    names: families.map((f) => f.name),
    /** A counter's or gauge's value (0 when no sample has those labels). */
    value: (name: string, labels: Record<string, string> = {}) => matching(name, labels)[0]?.value ?? 0,
    /** A histogram's count, sum and cumulative buckets for one label set (null when it has none). */
    histogram(name: string, labels: Record<string, string> = {}) {
      const count = matching(name, labels, `${name}_count`);
      if (count.length === 0) return null;
      expect(count, `${name} ${JSON.stringify(labels)} names one label set`).toHaveLength(1);
      const buckets = Object.fromEntries(
        matching(name, { ...labels, ...count[0]!.labels } as Record<string, string>, `${name}_bucket`).map(
          (b) => [String(b.labels.le), b.value],
        ),
      );
      const sum = matching(name, count[0]!.labels as Record<string, string>, `${name}_sum`)[0]?.value;
      return { count: count[0]!.value, sum, buckets };
    },
  };
}

describe('metrics from committed workflow events', () => {
  it('counts runs by workflow and outcome, times steps and the wait at a gate', async () => {
    const metrics = createMetrics({ db, clock: systemClock, offlineAfterMs: 15_000, processMetrics: false });
    // deploy: build (automatic, 2 s), then a gate that waits 90 s for an approval, then the run completes.
    const built = step('build', 'automatic', { status: 'completed', startedAt: at(0), finishedAt: at(2) });
    const waiting = step('approve', 'gate', { status: 'awaiting_approval', startedAt: at(2) });
    const approved = step('approve', 'gate', { status: 'completed', startedAt: at(2), finishedAt: at(95) });
    const deploy = (status: WorkflowRun['status'], steps: StepRecord[]) => run('r1', 'deploy', status, steps);
    for (const e of [
      event('run.started', deploy('running', []), 0),
      event(
        'step.started',
        deploy('running', [step('build', 'automatic', { startedAt: at(0) })]),
        0,
        'build',
      ),
      event('step.completed', deploy('running', [built]), 2, 'build'),
      event('step.awaiting_approval', deploy('waiting', [built, waiting]), 5, 'approve'),
      event('step.approved', deploy('running', [built, approved]), 95, 'approve'),
      event('step.completed', deploy('running', [built, approved]), 95, 'approve'),
      event('run.completed', deploy('completed', [built, approved]), 95),
    ])
      metrics.observe(e);
    // check: one failed step of 0.5 s, the run fails; a second check is cancelled while queued.
    const failedStep = step('probe', 'automatic', {
      status: 'failed',
      startedAt: at(0),
      finishedAt: at(0.5),
    });
    metrics.observe(event('run.started', run('r2', 'check', 'running', []), 0));
    metrics.observe(event('step.failed', run('r2', 'check', 'running', [failedStep]), 0.5, 'probe'));
    metrics.observe(event('run.failed', run('r2', 'check', 'failed', [failedStep]), 0.5));
    metrics.observe(event('run.queued', run('r3', 'check', 'queued', []), 1));
    metrics.observe(event('run.cancelled', run('r3', 'check', 'cancelled', []), 2));

    const m = await scrape(metrics);
    expect(m.value('deploybot_runs_started_total', { workflow: 'deploy' })).toBe(1);
    expect(m.value('deploybot_runs_started_total', { workflow: 'check' })).toBe(2);
    expect(m.value('deploybot_runs_finished_total', { workflow: 'deploy', outcome: 'completed' })).toBe(1);
    expect(m.value('deploybot_runs_finished_total', { workflow: 'check', outcome: 'failed' })).toBe(1);
    expect(m.value('deploybot_runs_finished_total', { workflow: 'check', outcome: 'cancelled' })).toBe(1);
    expect(m.value('deploybot_transitions_committed_total')).toBe(12);

    const build = m.histogram('deploybot_step_duration_seconds', {
      workflow: 'deploy',
      kind: 'automatic',
      outcome: 'completed',
    });
    expect(build).toMatchObject({ count: 1, sum: 2 });
    expect(build?.buckets['1']).toBe(0);
    expect(build?.buckets['2.5']).toBe(1);
    const gate = m.histogram('deploybot_step_duration_seconds', { workflow: 'deploy', kind: 'gate' });
    expect(gate).toMatchObject({ count: 1, sum: 93 });
    expect(
      m.histogram('deploybot_step_duration_seconds', { workflow: 'check', outcome: 'failed' }),
    ).toMatchObject({ count: 1, sum: 0.5 });
    // From awaiting (5 s) to the decision (95 s), not from the step's start.
    const wait = m.histogram('deploybot_gate_wait_seconds', { workflow: 'deploy' });
    expect(wait).toMatchObject({ count: 1, sum: 90 });
    expect(wait?.buckets['60']).toBe(0);
    expect(wait?.buckets['300']).toBe(1);
    expect(m.histogram('deploybot_gate_wait_seconds', { workflow: 'check' })).toBeNull();
  });

  it('an input decided after a restart (its wait unknown) counts from the step start', async () => {
    const metrics = createMetrics({ db, clock: systemClock, offlineAfterMs: 15_000, processMetrics: false });
    const asked = step('host', 'input', { status: 'completed', startedAt: at(10), finishedAt: at(40) });
    metrics.observe(event('step.input_received', run('r4', 'ask', 'running', [asked]), 40, 'host'));
    const m = await scrape(metrics);
    expect(m.histogram('deploybot_gate_wait_seconds', { workflow: 'ask' })).toMatchObject({
      count: 1,
      sum: 30,
    });
  });

  it('times store commits, reads leases from the callback (0 without one) and sockets by namespace', async () => {
    let leases: LeaseStats = { held: 3, takenOver: 2 };
    const metrics = createMetrics({
      db,
      clock: systemClock,
      offlineAfterMs: 15_000,
      processMetrics: false,
      leaseStats: () => leases,
      socketCounts: () => [
        ['/', 2],
        ['/agents', 1],
      ],
    });
    const store = metrics.timeCommits(new SqlWorkflowStore(db));
    // A commit against a run that does not exist is refused, and still timed.
    await expect(
      store.commit(run('00000000-0000-4000-8000-000000000001', 'x', 'running', []), []),
    ).rejects.toThrow();
    expect(await store.getRun('00000000-0000-4000-8000-000000000002')).toBeNull();

    let m = await scrape(metrics);
    expect(m.histogram('deploybot_commit_duration_seconds')?.count).toBe(1);
    expect(m.value('deploybot_leases_held')).toBe(3);
    expect(m.value('deploybot_leases_taken_over_total')).toBe(2);
    expect(m.value('deploybot_sockets_connected', { namespace: '/' })).toBe(2);
    expect(m.value('deploybot_sockets_connected', { namespace: '/agents' })).toBe(1);
    leases = { held: 1, takenOver: 5 };
    m = await scrape(metrics);
    expect(m.value('deploybot_leases_held')).toBe(1);
    expect(m.value('deploybot_leases_taken_over_total')).toBe(5);

    const bare = await scrape(createMetrics({ db, clock: systemClock, offlineAfterMs: 15_000 }));
    expect(bare.value('deploybot_leases_held')).toBe(0);
    expect(bare.value('deploybot_leases_taken_over_total')).toBe(0);
    // Node's own metrics, event-loop lag among them, unless turned off.
    expect(bare.names).toContain('nodejs_eventloop_lag_seconds');
    expect(m.names).not.toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts online agents and jobs by status with a query at scrape time', async () => {
    const metrics = createMetrics({ db, clock: systemClock, offlineAfterMs: 15_000, processMetrics: false });
    let m = await scrape(metrics);
    expect(m.value('deploybot_agents_online')).toBe(0);
    for (const status of ['pending', 'running', 'success', 'failed', 'cancelled']) {
      expect(m.value('deploybot_jobs', { status })).toBe(0);
    }
    const now = new Date();
    const stale = new Date(now.getTime() - 60_000);
    const agent = (id: string, hostname: string, heartbeat: Date, draining = false) =>
      db.query(
        `INSERT INTO agents (id, hostname, environment, registered_by, created_at, last_heartbeat_at, draining)
         VALUES ($1, $2, 'production', 'tester', $3, $4, $5)`,
        [id, hostname, now, heartbeat, draining],
      );
    await agent('00000000-0000-4000-8000-0000000000a1', 'fresh-1', now);
    await agent('00000000-0000-4000-8000-0000000000a2', 'fresh-2', now);
    await agent('00000000-0000-4000-8000-0000000000a3', 'stale', stale);
    await agent('00000000-0000-4000-8000-0000000000a4', 'draining', now, true);
    await db.query(
      `INSERT INTO repositories (id, name, url, default_ref, created_at)
       VALUES ('00000000-0000-4000-8000-0000000000b1', 'org/app', '/tmp/none', 'main', $1)`,
      [now],
    );
    for (const [i, status] of ['running', 'running', 'success'].entries()) {
      await db.query(
        `INSERT INTO jobs (id, repository_id, ref, sha, agent_id, status, timeout_sec, created_by, created_at)
         VALUES ($1, '00000000-0000-4000-8000-0000000000b1', 'main', 'abc', '00000000-0000-4000-8000-0000000000a1',
                 $2, 60, 'tester', $3)`,
        [`00000000-0000-4000-8000-0000000000c${i}`, status, now],
      );
    }
    m = await scrape(metrics);
    expect(m.value('deploybot_agents_online')).toBe(2);
    expect(m.value('deploybot_jobs', { status: 'running' })).toBe(2);
    expect(m.value('deploybot_jobs', { status: 'success' })).toBe(1);
    expect(m.value('deploybot_jobs', { status: 'pending' })).toBe(0);
  });
});
