import type { JobAssignment, JobLogs, JobStatusUpdate } from '@deploybot/shared';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { JobManager } from './job-manager';
import type { JobReporter } from './outbox';
import { jobId, makeRepo, removeTempDirs, tempDir, waitFor } from './test-helpers';

afterAll(removeTempDirs);

/** Records what jobs report, as the controller would see it. */
class Recorder implements JobReporter {
  statuses: JobStatusUpdate[] = [];
  batches: JobLogs[] = [];
  /** Everything in arrival order, to check that no line comes after a job's final status. */
  order: string[] = [];
  logs(batch: JobLogs) {
    this.batches.push(batch);
    this.order.push(`logs ${batch.jobId}`);
  }
  status(update: JobStatusUpdate) {
    this.statuses.push(update);
    this.order.push(`${update.status} ${update.jobId}`);
  }
  final(id: string) {
    return this.statuses.find((s) => s.jobId === id && s.status !== 'running');
  }
  lines(id: string) {
    return this.batches.filter((b) => b.jobId === id).flatMap((b) => b.lines);
  }
}

async function setup(concurrency: number) {
  const repo = await makeRepo({
    'deploybot.yml': 'steps:\n  - { name: wait, run: "sleep 0.3; echo done" }\n',
  });
  const recorder = new Recorder();
  const manager = new JobManager({
    workdir: await tempDir(),
    keepReleases: 5,
    concurrency,
    reporter: recorder,
    logger: pino({ level: 'silent' }),
    logFlushMs: 20,
  });
  const job = (name = 'demo/app'): JobAssignment => ({
    jobId: jobId(),
    repository: { name, url: repo.dir },
    ref: 'main',
    sha: repo.sha,
    timeoutSec: 60,
  });
  return { manager, recorder, job };
}

describe('JobManager', () => {
  it('queues beyond the concurrency limit and runs one job per repository at a time', async () => {
    const { manager, recorder, job } = await setup(2);
    const a1 = job('demo/a');
    const a2 = job('demo/a');
    const b1 = job('demo/b');
    for (const j of [a1, a2, b1]) expect(manager.assign(j)).toEqual({ accepted: true });
    // Re-sending a job it already holds is harmless.
    expect(manager.assign(a1)).toEqual({ accepted: true });
    expect(manager.activeJobIds().sort()).toEqual([a1.jobId, a2.jobId, b1.jobId].sort());
    // a2 waits for a1 (same repository) even though a slot is free; b1 takes the slot.
    await waitFor(() => recorder.statuses.some((s) => s.jobId === b1.jobId), 2_000, 'b1 to start');
    expect(recorder.statuses.some((s) => s.jobId === a2.jobId)).toBe(false);

    await waitFor(() => [a1, a2, b1].every((j) => recorder.final(j.jobId)), 10_000, 'all jobs to end');
    for (const j of [a1, a2, b1]) {
      expect(recorder.final(j.jobId)).toMatchObject({ status: 'success' });
      const seqs = recorder.lines(j.jobId).map((l) => l.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(recorder.lines(j.jobId).some((l) => l.stream === 'stdout' && l.line === 'done')).toBe(true);
      const lastBatch = recorder.order.lastIndexOf(`logs ${j.jobId}`);
      expect(lastBatch).toBeGreaterThanOrEqual(0);
      expect(recorder.order.indexOf(`success ${j.jobId}`)).toBeGreaterThan(lastBatch);
    }
    // A finished job sent again is not run again: its final status is repeated instead.
    const before = recorder.statuses.length;
    expect(manager.assign(a1)).toEqual({ accepted: true });
    expect(recorder.statuses.slice(before)).toEqual([recorder.final(a1.jobId)]);
    expect(manager.activeJobIds()).toEqual([]);
  });

  it('cancels queued and running jobs, and refuses work while shutting down', async () => {
    const { manager, recorder, job } = await setup(1);
    const running = job();
    const queued = job();
    manager.assign(running);
    manager.assign(queued);
    expect(manager.cancel(queued.jobId)).toBe(true);
    expect(recorder.final(queued.jobId)).toMatchObject({ status: 'cancelled', cause: 'cancelled' });
    expect(manager.cancel(jobId())).toBe(false);

    await manager.shutdown();
    expect(recorder.final(running.jobId)).toMatchObject({ status: 'cancelled', cause: 'cancelled' });
    expect(manager.activeJobIds()).toEqual([]);
    expect(manager.assign(job())).toMatchObject({ refused: 'unavailable' });
  });
});
