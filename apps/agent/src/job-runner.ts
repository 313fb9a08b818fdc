import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { JobAssignment } from '@deploybot/shared';
import { stepBaseEnv } from './child-env';
import { createRelease, ensureCache, fetchCommit, GitError, redactUrl } from './git';
import { classify, JobFailure, type JobIo, type JobOutcome, seconds, systemLog } from './job-outcome';
import { loadManifest, type Manifest, ManifestError, type ManifestStep } from './manifest';
import { runProcessGroup } from './process-group';
import {
  markActivated,
  pruneReleases,
  readCurrent,
  recordRelease,
  switchCurrent,
  undoableRelease,
} from './releases';
import { releaseDirName, repoLayout } from './repo-paths';
import type { StepRegistry } from './step-registry';

export type { AbortKind, JobIo, JobOutcome } from './job-outcome';

export interface JobRunnerOptions {
  workdir: string;
  /** Used unless the manifest says `keep_releases`. */
  keepReleases: number;
  killGraceMs?: number;
  /** The environment the controller assigned (`agent:configure`), read when a step starts. */
  environment?: () => string | undefined;
  /** Where running step groups are remembered, so a killed agent's leftovers are ended on its next start. */
  steps?: StepRegistry;
  /** Variables of the agent's environment passed on to steps besides the allow-listed ones (`--pass-env`). */
  passEnv?: readonly string[];
}

/**
 * Runs one job from fetch to `current` switch and classifies how it ended. It never throws: every failure becomes
 * an outcome with a cause, since the controller (and the troubleshooting workflow) groups jobs by that cause.
 */
export async function runJob(job: JobAssignment, options: JobRunnerOptions, io: JobIo): Promise<JobOutcome> {
  const started = Date.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort('timeout'), job.timeoutSec * 1000);
  // One signal for everything below: cancel, agent shutdown or the job's own deadline.
  const signal = AbortSignal.any([io.signal, timeout.signal]);
  const system = systemLog(io);

  let step: string | null = null;
  /** Set once the checkout exists, so a failed fetch does not report a directory that is not there. */
  let releaseDir: string | null = null;
  let releaseName: string | null = null;
  let keep = options.keepReleases;
  try {
    const layout = repoLayout(options.workdir, job.repository.name);
    releaseName = releaseDirName(job.jobId);
    const checkoutDir = path.join(layout.releases, releaseName);
    await mkdir(layout.releases, { recursive: true });

    system(`job ${job.jobId}: ${job.repository.name} ${job.ref} @ ${job.sha}`);
    system(`fetching ${redactUrl(job.repository.url)} at ${job.sha}`);
    const gitOptions = { signal, killGraceMs: options.killGraceMs };
    try {
      await ensureCache(layout.cache, gitOptions);
      const { cached } = await fetchCommit(layout.cache, job.repository.url, job.sha, gitOptions);
      if (cached) system(`commit ${job.sha} already in the cache`);
      await createRelease(layout.cache, checkoutDir, job.sha, gitOptions);
      releaseDir = checkoutDir;
    } catch (error) {
      if (error instanceof GitError) {
        for (const line of error.output) system(`git: ${line}`);
        throw new JobFailure(error.message, error.failure);
      }
      throw error;
    }
    const record = { id: releaseName, sha: job.sha, ref: job.ref, createdAt: new Date().toISOString() };
    await recordRelease(layout, record);
    system(`checked out ${job.sha.slice(0, 12)} into releases/${releaseName}`);
    io.progress({ releaseDir });

    let manifest: Manifest;
    try {
      const loaded = await loadManifest(releaseDir);
      manifest = loaded.manifest;
      keep = manifest.keep_releases ?? keep;
      system(`${loaded.file}: ${manifest.steps.length} step(s)`);
    } catch (error) {
      if (error instanceof ManifestError) throw new JobFailure(error.message, 'manifest_invalid');
      throw error;
    }

    for (const s of manifest.steps) {
      step = s.name;
      io.progress({ step, releaseDir });
      await runStep(job, manifest, s, releaseDir, options, io, signal);
    }
    step = null;

    // Read just before the switch: nothing else runs in this repository meanwhile (one job per repository).
    const before = await readCurrent(layout);
    const target = await switchCurrent(layout, releaseName);
    system(`current -> ${target}`);
    await markActivated(layout, releaseName, new Date().toISOString(), record);
    const previousRelease = undoableRelease(before, system);
    if (previousRelease)
      system(`previous release: releases/${previousRelease} (undoing this job goes back to it)`);
    await prune(layout, keep, releaseName, system);
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
    const outcome = classify(error, signal, job.timeoutSec, step, releaseDir);
    system(`job ${outcome.status}: ${outcome.error}`);
    // Failed releases are kept for a look (they are the newest), but old ones must not pile up on failures either.
    if (releaseName) {
      const layout = repoLayout(options.workdir, job.repository.name);
      await prune(layout, keep, releaseName, system).catch(() => {});
    }
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

async function runStep(
  job: JobAssignment,
  manifest: Manifest,
  step: ManifestStep,
  releaseDir: string,
  options: JobRunnerOptions,
  io: JobIo,
  signal: AbortSignal,
): Promise<void> {
  io.log('system', `$ step ${step.name}`);
  const started = Date.now();
  const env = {
    ...stepBaseEnv({ passEnv: options.passEnv }),
    ...manifest.env,
    ...step.env,
    DEPLOYBOT_JOB_ID: job.jobId,
    DEPLOYBOT_REPOSITORY: job.repository.name,
    DEPLOYBOT_REF: job.ref,
    DEPLOYBOT_SHA: job.sha,
    DEPLOYBOT_RELEASE_DIR: releaseDir,
    // Lets one manifest serve staging and production agents alike.
    DEPLOYBOT_ENVIRONMENT: options.environment?.() ?? '',
  };
  // The command text is the repository author's own: running it through a shell is what a manifest is for.
  const result = await runProcessGroup('/bin/sh', ['-c', step.run], {
    cwd: releaseDir,
    env,
    onStdout: (line) => io.log('stdout', line),
    onStderr: (line) => io.log('stderr', line),
    signal,
    timeoutMs: step.timeout * 1000,
    killGraceMs: options.killGraceMs,
    onGroup: (pgid, state) =>
      state === 'started' ? options.steps?.record(pgid, job.jobId) : options.steps?.forget(pgid),
  });
  const took = seconds(Date.now() - started);
  if (result.spawnError) {
    throw new JobFailure(`step ${step.name} could not start: ${result.spawnError.message}`, 'internal');
  }
  // classify() reads the abort reason from the signal.
  if (result.aborted) throw new Error('aborted');
  if (result.timedOut) {
    io.log('system', `step ${step.name} timed out after ${step.timeout}s; process group killed`);
    throw new JobFailure(`step ${step.name} timed out after ${step.timeout}s`, 'timeout');
  }
  if (result.exitCode === null) {
    io.log('system', `killed by ${result.signal} after ${took}`);
    throw new JobFailure(`step ${step.name} was killed by ${result.signal}`, 'step_failed');
  }
  io.log('system', `exit code ${result.exitCode} after ${took}`);
  if (result.exitCode !== 0) {
    throw new JobFailure(
      `step ${step.name} exited with code ${result.exitCode}`,
      'step_failed',
      result.exitCode,
    );
  }
}

async function prune(
  layout: ReturnType<typeof repoLayout>,
  keep: number,
  running: string,
  system: (line: string) => void,
): Promise<void> {
  const removed = await pruneReleases(layout, keep, new Set([running]));
  for (const name of removed) system(`removed old release releases/${name}`);
}
