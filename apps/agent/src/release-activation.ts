import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { ReleaseActivation } from '@deploybot/shared';
import { classify, JobFailure, type JobIo, type JobOutcome, seconds, systemLog } from './job-outcome';
import { findRelease, markActivated, readCurrent, switchCurrent, undoableRelease } from './releases';
import { releaseDirName, repoLayout } from './repo-paths';

/**
 * Runs an activation: points `current` at a release already on the agent, made by an earlier deploy (a
 * rollback). Nothing is fetched and no manifest step runs: the release was built and checked when it was
 * deployed, and deploybot.yml has nothing meant to run on a switch. Like a deploy it never throws: every failure
 * becomes an outcome with a cause.
 */
export async function runActivation(
  job: ReleaseActivation,
  options: { workdir: string },
  io: JobIo,
): Promise<JobOutcome> {
  const started = Date.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort('timeout'), job.timeoutSec * 1000);
  const signal = AbortSignal.any([io.signal, timeout.signal]);
  const system = systemLog(io);
  let releaseDir: string | null = null;
  try {
    const layout = repoLayout(options.workdir, job.repository.name);
    const name = releaseDirName(job.release);
    const dir = path.join(layout.releases, name);
    system(`job ${job.jobId}: activate ${job.repository.name} release ${name} (${job.ref} @ ${job.sha})`);

    const stat = await lstat(dir).catch(() => null);
    if (!stat?.isDirectory()) {
      throw new JobFailure(
        `releases/${name} is no longer on this agent (releases past keep_releases are pruned): ` +
          `deploy ${job.sha.slice(0, 12)} again instead`,
        'release_missing',
      );
    }
    const record = await findRelease(layout, name);
    if (record && record.sha !== job.sha) {
      throw new JobFailure(
        `releases/${name} holds commit ${record.sha}, not ${job.sha} as the controller recorded; not switching`,
        'internal',
      );
    }
    releaseDir = dir;
    io.progress({ releaseDir });

    const before = await readCurrent(layout);
    system(`current points at ${before ? `releases/${before}` : 'nothing'}`);
    // Already there (switched back some other way) is what was asked for, whatever was expected before it.
    if (job.onlyIfCurrent && before !== job.onlyIfCurrent && before !== name) {
      throw new JobFailure(
        `current points at ${before ? `releases/${before}` : 'nothing'}, not at releases/${job.onlyIfCurrent}: ` +
          'something was deployed since, and switching back would replace it; not switching',
        'current_moved',
      );
    }
    if (signal.aborted) throw new Error('aborted before the switch');
    if (before === name) {
      system(`current already points at releases/${name}: nothing to switch`);
    } else {
      const target = await switchCurrent(layout, name);
      system(`current -> ${target}`);
    }
    const at = new Date().toISOString();
    await markActivated(layout, name, at, {
      id: name,
      sha: job.sha,
      ref: job.ref,
      createdAt: new Date(stat.mtimeMs).toISOString(),
    });
    system('no manifest step runs on an activation: the release was built when it was deployed');
    const previousRelease = undoableRelease(before, system);
    system(`job succeeded in ${seconds(Date.now() - started)}`);
    return {
      status: 'success',
      exitCode: 0,
      error: null,
      cause: null,
      step: null,
      releaseDir,
      previousRelease,
    };
  } catch (error) {
    const outcome = classify(error, signal, job.timeoutSec, null, releaseDir);
    system(`job ${outcome.status}: ${outcome.error}`);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
