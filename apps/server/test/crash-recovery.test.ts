import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDb } from '../src/db/pglite-db';
import type { EventRecord } from '../src/engine/ports';
import { type ChildServer, killAll, killHard, spawnServer, stopGracefully } from './helpers/child-server';
import {
  type ApiClient,
  apiClient,
  expectGapFree,
  isStatus,
  isWaitingAt,
  stepOf,
  WORKFLOWS,
} from './helpers/http-client';

const SLOW_MS = 2500;
const DEADLINE_MS = 7000;

let dataDir: string;
let markerFile: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'deploybot-crash-'));
  markerFile = join(dataDir, 'side-effects.log');
});

afterAll(async () => {
  await killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (): Promise<ChildServer> =>
  spawnServer({
    DEPLOYBOT_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CRASH_MARKER_FILE: markerFile,
    CRASH_SLOW_MS: String(SLOW_MS),
    CRASH_DEADLINE_MS: String(DEADLINE_MS),
  });

function marker(): string[] {
  try {
    return readFileSync(markerFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const labels = (events: EventRecord[]) => events.map((e) => `${e.type}${e.stepId ? `@${e.stepId}` : ''}`);

describe('recovery after kill -9 of the controller process', () => {
  let server: ChildServer;
  let api: ApiClient;
  /** The run killed mid-step, and its side-effect key. */
  let resumeId: string;
  let key: string;
  /** The run parked at a gate with a deadline when the process was killed. */
  let timed: WorkflowRun;
  let deadline: string;
  let resumeEventsBeforeKill: EventRecord[];
  let timedEventsBeforeKill: EventRecord[];
  let atGate: WorkflowRun;
  /** When the second life was started (a countdown restarted by recovery ends DEADLINE_MS after it at the
   * earliest), and when it answered (a right engine expires the gate at the deadline, or at once if later). */
  let restartedAt: number;
  let upAt: number;

  it('first life: a run is killed mid-step while another waits at a gate with a deadline', async () => {
    server = await start();
    api = apiClient(server.url);
    expect((await api.get('/health')).body).toMatchObject({ status: 'ok', database: { kind: 'pglite' } });

    timed = await api.waitForRun(
      (await api.start('crash_deadline')).id,
      isWaitingAt('timed_review'),
      'the gate',
    );
    deadline = stepOf(timed, 'timed_review').deadline!;
    expect(deadline).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    resumeId = (await api.start('crash_resume')).id;
    key = `${resumeId}:slow_write`;
    const busy = await api.waitForRun(
      resumeId,
      (r) => stepOf(r, 'slow_write').status === 'in_progress',
      'slow step',
    );
    expect(busy.status).toBe('running');
    await until(() => marker().length === 1, 'the slow step to record its side effect');
    expect(marker()).toEqual([`start ${key}`]);

    resumeEventsBeforeKill = await api.events(resumeId);
    timedEventsBeforeKill = await api.events(timed.id);
    expect(labels(resumeEventsBeforeKill)).toEqual(['run.started', 'step.started@slow_write']);
    const parked = timedEventsBeforeKill.find((e) => e.type === 'step.awaiting_approval')!;
    expect(Date.parse(deadline) - Date.parse(parked.at)).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(Date.parse(deadline) - Date.parse(parked.at)).toBeLessThanOrEqual(DEADLINE_MS + 50);

    await killHard(server.child);
    expect(server.child.signalCode).toBe('SIGKILL');
    expect(marker()).toEqual([`start ${key}`]); // the step never finished in the first life
  });

  it('second life: the step found in progress runs again with the same idempotency key and reaches the gate', async () => {
    // The controller stays down a while, so that a countdown restarted by recovery would end well after the
    // deadline: the gap is what tells the two apart below.
    await new Promise((r) => setTimeout(r, 3_000));
    restartedAt = Date.now();
    server = await start();
    upAt = Date.now();
    api = apiClient(server.url);

    // The waiting run was not driven again: its history before the kill is untouched (on a slow machine the
    // deadline may have passed meanwhile, so what follows it is checked below, not here).
    const timedEvents = await api.events(timed.id);
    expect(timedEvents.slice(0, timedEventsBeforeKill.length)).toEqual(timedEventsBeforeKill);
    const resumed = await api.run(resumeId);
    expect(resumed.status).toBe('running');
    expect(stepOf(resumed, 'slow_write')).toMatchObject({ status: 'in_progress', attempt: 1 });
    expect(resumed.seq).toBe(resumeEventsBeforeKill.length);

    atGate = await api.waitForRun(resumeId, isWaitingAt('review'), 'the gate after the re-run', 60_000);
    expect(marker()).toEqual([`start ${key}`, `start ${key}`, `end ${key}`]);
    expect(stepOf(atGate, 'slow_write')).toMatchObject({
      status: 'completed',
      summary: `Wrote ${key}`,
      data: { key },
    });
    expect(stepOf(atGate, 'review')).toMatchObject({
      status: 'awaiting_approval',
      summary: 'Ready to finish',
    });
    expect(atGate.progress).toBe(25);
  });

  it('second life: the gate with a deadline still expires on time, counted from before the kill', async () => {
    const expired = await api.waitForRun(
      timed.id,
      isStatus('completed', 'failed', 'cancelled'),
      'the expiry',
      60_000,
    );
    expect(expired.status).toBe('failed');
    expect(expired.error).toBe('approval expired');
    const step = stepOf(expired, 'timed_review');
    expect(step).toMatchObject({ status: 'failed', error: 'approval expired', deadline: null });
    // Never before the deadline, and not counted again from the restart. A right engine expires it at
    // max(deadline, up) and a sweep; a restarted countdown no earlier than restartedAt + DEADLINE_MS. The
    // bound sits halfway; if the start itself outlasted DEADLINE_MS (a very busy machine) both would expire it
    // at once on recovery, so then it must only have been prompt.
    const finishedAt = Date.parse(step.finishedAt!);
    expect(finishedAt).toBeGreaterThanOrEqual(Date.parse(deadline));
    const right = Math.max(Date.parse(deadline), upAt);
    const restarted = restartedAt + DEADLINE_MS;
    expect(finishedAt).toBeLessThan(right < restarted ? (right + restarted) / 2 : upAt + DEADLINE_MS);
    // The other run has no deadline: it is still waiting, untouched.
    expect(await api.run(resumeId)).toEqual(atGate);
  });

  it('a second controller on the same data directory refuses to start, naming this one (PGlite is one process)', async () => {
    const refused = await start().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(refused?.message).toMatch(/exited \(code 1/);
    expect(refused?.message).toMatch(
      new RegExp(`another DeployBot controller \\(pid ${server.child.pid}, .*is using the data directory`),
    );
    expect(refused?.message).toMatch(/PostgreSQL \(DATABASE_URL\)/);
    // The first one is unharmed; the next life, after a kill -9, takes the directory over.
    expect(await api.run(resumeId)).toEqual(atGate);
  });

  it('third life: killed again while parked at the gate, the run keeps waiting; approval completes it', async () => {
    await killHard(server.child);
    server = await start();
    api = apiClient(server.url);
    expect(await api.run(resumeId)).toEqual(atGate);

    const approved = await api.post<WorkflowRun>(`${WORKFLOWS}/${resumeId}/approve`, {
      approved: true,
      note: 'after two crashes',
      step_id: 'review',
    });
    expect(approved.status, approved.text).toBe(200);
    const done = await api.waitForRun(resumeId, isStatus('completed', 'failed', 'cancelled'), 'completion');
    expect(done.status).toBe('completed');
    expect(done.progress).toBe(100);
    expect(done.steps.map((s) => [s.id, s.status, s.summary])).toEqual([
      ['slow_write', 'completed', `Wrote ${key}`],
      ['review', 'completed', 'Approved by admin'],
      ['finish_one', 'completed', 'One done'],
      ['finish_two', 'completed', 'Two done'],
    ]);
    expect(marker()).toHaveLength(3); // nothing ran the side effect again

    const events = await api.events(resumeId);
    expectGapFree(
      events.map((e) => e.seq),
      done.seq,
    );
    expect(events.slice(0, resumeEventsBeforeKill.length)).toEqual(resumeEventsBeforeKill);
    expect(labels(events)).toEqual([
      'run.started',
      'step.started@slow_write',
      'step.completed@slow_write',
      'step.started@review',
      'step.awaiting_approval@review',
      'step.approved@review',
      'step.completed@review',
      'step.started@finish_one',
      'step.completed@finish_one',
      'step.started@finish_two',
      'step.completed@finish_two',
      'run.completed',
    ]);
    const timedEvents = await api.events(timed.id);
    expect(timedEvents.slice(0, timedEventsBeforeKill.length)).toEqual(timedEventsBeforeKill);
    expect(labels(timedEvents)).toEqual([
      'run.started',
      'step.started@prepare',
      'step.completed@prepare',
      'step.started@timed_review',
      'step.awaiting_approval@timed_review',
      'step.failed@timed_review',
    ]);
  });

  it('after a clean shutdown the workflow_events table itself is gap-free for every run', async () => {
    expect(await stopGracefully(server.child)).toBe(0);
    const db = await PgliteDb.open(join(dataDir, 'pgdata'));
    try {
      const runs = await db.query<{ id: string; seq: number }>(
        'SELECT id, seq FROM workflow_runs ORDER BY id',
      );
      expect(runs.map((r) => r.id).sort()).toEqual([resumeId, timed.id].sort());
      for (const run of runs) {
        const rows = await db.query<{ seq: number }>(
          'SELECT seq FROM workflow_events WHERE run_id = $1 ORDER BY seq',
          [run.id],
        );
        expectGapFree(
          rows.map((r) => r.seq),
          run.seq,
        );
      }
    } finally {
      await db.close();
    }
  });
});
