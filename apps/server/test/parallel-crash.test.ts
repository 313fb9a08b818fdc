import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../src/engine/ports';
import { type ChildServer, killAll, killHard, spawnServer, stopGracefully } from './helpers/child-server';
import { type ApiClient, apiClient, expectGapFree, isStatus, stepOf } from './helpers/http-client';

/** How long each branch takes: long enough that a kill right after both started lands while both are in flight. */
const BRANCH_MS = 4000;

let dataDir: string;
let markerFile: string;

afterAll(async () => {
  await killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (): Promise<ChildServer> =>
  spawnServer({
    DEPLOYBOT_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CRASH_MARKER_FILE: markerFile,
    CRASH_SLOW_MS: String(BRANCH_MS),
    CRASH_DEADLINE_MS: '60000',
  });

let server: ChildServer;

// The first start creates the database files: on a busy machine the slowest part, so it gets the hook's time.
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'deploybot-parallel-crash-'));
  markerFile = join(dataDir, 'side-effects.log');
  server = await start();
});

function marker(): string[] {
  try {
    return readFileSync(markerFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; marker: ${marker().join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const labels = (events: EventRecord[]) => events.map((e) => `${e.type}${e.stepId ? `@${e.stepId}` : ''}`);
const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

describe('parallel branches survive a kill -9 of the controller with both in flight', () => {
  let api: ApiClient;
  let runId: string;
  let lines: (what: 'root' | 'start' | 'end' | 'join', step: string) => string;
  let eventsBeforeKill: EventRecord[];
  let markerAtKill: string[];

  it('first life: the controller is killed while both branches are in progress', async () => {
    api = apiClient(server.url);
    runId = (await api.start('crash_parallel')).id;
    lines = (what, step) => `${what} ${runId}:${step}`;

    // The outcome that matters: both branches' side effects have begun (each writes its start line only after its
    // step.started was committed), and neither has ended.
    await until(
      () => marker().includes(lines('start', 'left')) && marker().includes(lines('start', 'right')),
      'both branches to start',
    );
    eventsBeforeKill = await api.events(runId);
    await killHard(server.child);
    expect(server.child.signalCode).toBe('SIGKILL');

    markerAtKill = marker();
    expect(markerAtKill[0]).toBe(lines('root', 'root'));
    expect(markerAtKill.slice(1).sort()).toEqual([lines('start', 'left'), lines('start', 'right')].sort());
    expect(labels(eventsBeforeKill).slice(0, 3)).toEqual([
      'run.started',
      'step.started@root',
      'step.completed@root',
    ]);
    expect(labels(eventsBeforeKill).slice(3).sort()).toEqual(['step.started@left', 'step.started@right']);
  });

  it('second life: both branches run again at once, the join runs once after both, the trail is gap-free', async () => {
    server = await start();
    api = apiClient(server.url);
    const done = await api.waitForRun(
      runId,
      isStatus('completed', 'failed', 'cancelled'),
      'the run to end',
      90_000,
    );
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done.progress).toBe(100);
    expect(done.steps.map((s) => [s.id, s.status, s.summary])).toEqual([
      ['root', 'completed', 'Root done'],
      ['left', 'completed', 'Branch left done'],
      ['right', 'completed', 'Branch right done'],
      ['join', 'completed', 'Joined'],
    ]);

    // Each branch ran again exactly once (it never finished in the first life), the root and the join once.
    const all = marker();
    expect(all.slice(0, markerAtKill.length)).toEqual(markerAtKill);
    expect(count(all, lines('root', 'root'))).toBe(1);
    for (const branch of ['left', 'right']) {
      expect(count(all, lines('start', branch)), branch).toBe(2);
      expect(count(all, lines('end', branch)), branch).toBe(1);
    }
    expect(count(all, lines('join', 'join'))).toBe(1);
    expect(all).toHaveLength(markerAtKill.length + 5);
    // After the restart the two re-runs overlapped (both started before either ended), and the join came last.
    const secondLife = all.slice(markerAtKill.length);
    expect(secondLife.slice(0, 2).sort()).toEqual([lines('start', 'left'), lines('start', 'right')].sort());
    expect(secondLife.slice(2, 4).sort()).toEqual([lines('end', 'left'), lines('end', 'right')].sort());
    expect(secondLife[4]).toBe(lines('join', 'join'));

    // The run's own timestamps: the branches overlapped, the join started after both had finished.
    const at = (run: WorkflowRun, id: string, field: 'startedAt' | 'finishedAt') => {
      const value = stepOf(run, id)[field];
      expect(value, `${id}.${field}`).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      return Date.parse(value!);
    };
    expect(at(done, 'left', 'startedAt')).toBeLessThan(at(done, 'right', 'finishedAt'));
    expect(at(done, 'right', 'startedAt')).toBeLessThan(at(done, 'left', 'finishedAt'));
    expect(at(done, 'join', 'startedAt')).toBeGreaterThanOrEqual(at(done, 'left', 'finishedAt'));
    expect(at(done, 'join', 'startedAt')).toBeGreaterThanOrEqual(at(done, 'right', 'finishedAt'));
    expect(at(done, 'root', 'finishedAt')).toBeLessThanOrEqual(
      Math.min(at(done, 'left', 'startedAt'), at(done, 'right', 'startedAt')),
    );
    for (const id of ['left', 'right']) expect(stepOf(done, id).attempt, id).toBe(1);

    // Gap-free, the first life's events untouched, and recovery started nothing twice.
    const events = await api.events(runId);
    expectGapFree(
      events.map((e) => e.seq),
      done.seq,
    );
    expect(events.slice(0, eventsBeforeKill.length)).toEqual(eventsBeforeKill);
    const trail = labels(events);
    expect(trail).toHaveLength(10);
    expect(trail.slice(0, 3)).toEqual(['run.started', 'step.started@root', 'step.completed@root']);
    expect(trail.slice(3, 5).sort()).toEqual(['step.started@left', 'step.started@right']);
    expect(trail.slice(5, 7).sort()).toEqual(['step.completed@left', 'step.completed@right']);
    expect(trail.slice(7)).toEqual(['step.started@join', 'step.completed@join', 'run.completed']);

    expect(await stopGracefully(server.child)).toBe(0);
  });
});
