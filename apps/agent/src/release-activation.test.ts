import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { JobAssignment, JobStatusUpdate, ReleaseActivation } from '@deploybot/shared';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialStore } from './credential-store';
import { createHandlers } from './handlers';
import { JobManager } from './job-manager';
import type { JobOutcome } from './job-outcome';
import { runJob } from './job-runner';
import type { JobReporter } from './outbox';
import { runActivation } from './release-activation';
import { readHistory } from './releases';
import { repoLayout } from './repo-paths';
import { jobId, makeRepo, removeTempDirs, tempDir, waitFor } from './test-helpers';

afterAll(removeTempDirs);

const REPO = 'demo/hello-app';
const MANIFEST = 'steps:\n  - { name: build, run: "cp VERSION built.txt" }\n';

/** A repository with one commit per version, and a work dir to deploy it into. */
async function setup() {
  const repo = await makeRepo({ 'deploybot.yml': MANIFEST, VERSION: '1\n' });
  const workdir = await tempDir();
  const layout = repoLayout(workdir, REPO);
  const shas: string[] = [repo.sha];
  return {
    repo,
    workdir,
    layout,
    /** Commits version `n` (n > 1) and returns its sha. */
    async version(n: number) {
      const sha = await repo.commit({ VERSION: `${n}\n` });
      shas.push(sha);
      return sha;
    },
    deployJob(sha: string): JobAssignment {
      return { jobId: jobId(), repository: { name: REPO, url: repo.dir }, ref: 'main', sha, timeoutSec: 60 };
    },
    current: async () => path.basename(await readlink(layout.current)),
    liveVersion: async () => (await readFile(path.join(layout.current, 'built.txt'), 'utf8')).trim(),
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function deploy(s: Setup, sha: string, keepReleases = 5): Promise<JobOutcome & { id: string }> {
  const job = s.deployJob(sha);
  const outcome = await runJob(job, { workdir: s.workdir, keepReleases }, io().io);
  expect(outcome.status, outcome.error ?? '').toBe('success');
  return { ...outcome, id: job.jobId };
}

function activation(release: string, sha: string, extra: Partial<ReleaseActivation> = {}): ReleaseActivation {
  return {
    jobId: jobId(),
    action: 'activate',
    repository: { name: REPO },
    release,
    ref: 'main',
    sha,
    timeoutSec: 60,
    ...extra,
  };
}

function io() {
  const lines: string[] = [];
  return {
    lines,
    io: {
      log: (_stream: string, line: string) => lines.push(line),
      progress: () => {},
      signal: new AbortController().signal,
    },
  };
}

describe('deploys report what was live before them', () => {
  it('a first deploy had nothing before it; the next names the first', async () => {
    const s = await setup();
    const first = await deploy(s, s.repo.sha);
    expect(first.previousRelease).toBeNull();
    const second = await deploy(s, await s.version(2));
    expect(second.previousRelease).toBe(first.id);
  });
});

describe('runActivation', () => {
  it('switches current back to an earlier release, records it, and says what it did', async () => {
    const s = await setup();
    const a = await deploy(s, s.repo.sha);
    const b = await deploy(s, await s.version(2));
    expect(await s.liveVersion()).toBe('2');

    const { lines, io: jobIo } = io();
    const job = activation(a.id, s.repo.sha, { onlyIfCurrent: b.id });
    const outcome = await runActivation(job, { workdir: s.workdir }, jobIo);

    expect(outcome).toMatchObject({
      status: 'success',
      cause: null,
      error: null,
      releaseDir: path.join(s.layout.releases, a.id),
      previousRelease: b.id,
    });
    expect(await readlink(s.layout.current)).toBe(`releases/${a.id}`);
    expect(await s.liveVersion()).toBe('1');
    expect(lines).toContain(`job ${job.jobId}: activate ${REPO} release ${a.id} (main @ ${s.repo.sha})`);
    expect(lines).toContain(`current points at releases/${b.id}`);
    expect(lines).toContain(`current -> releases/${a.id}`);
    expect(lines).toContain(
      'no manifest step runs on an activation: the release was built when it was deployed',
    );
    // Both releases stay; the history says A is the one live last.
    expect(existsSync(path.join(s.layout.releases, b.id))).toBe(true);
    const history = await readHistory(s.layout);
    const recordOf = (id: string) => history.releases.find((r) => r.id === id)!;
    expect(Date.parse(recordOf(a.id).activatedAt!)).toBeGreaterThan(Date.parse(recordOf(b.id).activatedAt!));
  });

  it('fails with release_missing when pruning removed the release, and leaves current alone', async () => {
    const s = await setup();
    const a = await deploy(s, s.repo.sha, 1);
    const b = await deploy(s, await s.version(2), 1);
    expect(existsSync(path.join(s.layout.releases, a.id))).toBe(false);

    const { lines, io: jobIo } = io();
    const outcome = await runActivation(activation(a.id, s.repo.sha), { workdir: s.workdir }, jobIo);

    expect(outcome).toMatchObject({ status: 'failed', cause: 'release_missing', releaseDir: null });
    expect(outcome.error).toBe(
      `releases/${a.id} is no longer on this agent (releases past keep_releases are pruned): deploy ${s.repo.sha.slice(0, 12)} again instead`,
    );
    expect(lines.at(-1)).toBe(`job failed: ${outcome.error}`);
    expect(await s.current()).toBe(b.id);
  });

  it('does not replace a later deploy: current_moved when current is not the release to undo', async () => {
    const s = await setup();
    const a = await deploy(s, s.repo.sha);
    const b = await deploy(s, await s.version(2));
    const c = await deploy(s, await s.version(3));

    const outcome = await runActivation(
      activation(a.id, s.repo.sha, { onlyIfCurrent: b.id }),
      { workdir: s.workdir },
      io().io,
    );
    expect(outcome).toMatchObject({ status: 'failed', cause: 'current_moved' });
    expect(outcome.error).toBe(
      `current points at releases/${c.id}, not at releases/${b.id}: something was deployed since, and switching back would replace it; not switching`,
    );
    expect(await s.current()).toBe(c.id);
  });

  it('succeeds without switching when current already points at the release', async () => {
    const s = await setup();
    const a = await deploy(s, s.repo.sha);
    const b = await deploy(s, await s.version(2));
    expect((await runActivation(activation(a.id, s.repo.sha), { workdir: s.workdir }, io().io)).status).toBe(
      'success',
    );

    // Asked again (the same undo, say): the wanted state holds, whatever `onlyIfCurrent` expected.
    const { lines, io: jobIo } = io();
    const again = await runActivation(
      activation(a.id, s.repo.sha, { onlyIfCurrent: b.id }),
      { workdir: s.workdir },
      jobIo,
    );
    expect(again).toMatchObject({ status: 'success', previousRelease: a.id });
    expect(lines).toContain(`current already points at releases/${a.id}: nothing to switch`);
    expect(await s.current()).toBe(a.id);
  });

  it('refuses a release that holds another commit than the controller recorded', async () => {
    const s = await setup();
    const a = await deploy(s, s.repo.sha);
    const b = await deploy(s, await s.version(2));
    const outcome = await runActivation(activation(a.id, 'f'.repeat(40)), { workdir: s.workdir }, io().io);
    expect(outcome).toMatchObject({ status: 'failed', cause: 'internal' });
    expect(outcome.error).toBe(
      `releases/${a.id} holds commit ${s.repo.sha}, not ${'f'.repeat(40)} as the controller recorded; not switching`,
    );
    expect(await s.current()).toBe(b.id);
  });

  it('pruning keeps the release switched back to over the newer one switched away from', async () => {
    const s = await setup();
    const a = await deploy(s, s.repo.sha, 2);
    const b = await deploy(s, await s.version(2), 2);
    await runActivation(activation(a.id, s.repo.sha), { workdir: s.workdir }, io().io);
    const c = await deploy(s, await s.version(3), 2);

    // B was made after A but A was live after B: a rollback of C goes back to A, so A stays.
    expect(c.previousRelease).toBe(a.id);
    expect(existsSync(path.join(s.layout.releases, a.id))).toBe(true);
    expect(existsSync(path.join(s.layout.releases, b.id))).toBe(false);
  });
});

/** Records what jobs report, as the controller would see it. */
class Recorder implements JobReporter {
  statuses: JobStatusUpdate[] = [];
  logs() {}
  status(update: JobStatusUpdate) {
    this.statuses.push(update);
  }
  final(id: string) {
    return this.statuses.find((s) => s.jobId === id && s.status !== 'running');
  }
}

describe('job:assign of an activation', () => {
  async function agent() {
    const s = await setup();
    const reporter = new Recorder();
    const jobs = new JobManager({
      workdir: s.workdir,
      keepReleases: 5,
      concurrency: 2,
      reporter,
      logger: pino({ level: 'silent' }),
      logFlushMs: 10,
    });
    const handlers = createHandlers({
      workdir: s.workdir,
      jobs,
      store: new CredentialStore(await tempDir(), 'http://127.0.0.1:1', 'web-01'),
      logger: pino({ level: 'silent' }),
      useCredential: () => {},
    });
    return { s, reporter, jobs, handlers };
  }

  it('runs through the job manager like a deploy and reports the switch', async () => {
    const { s, reporter, handlers } = await agent();
    const a = await deploy(s, s.repo.sha);
    const b = await deploy(s, await s.version(2));
    const job = activation(a.id, s.repo.sha, { onlyIfCurrent: b.id });

    expect(handlers.assign(job)).toEqual({ data: { accepted: true } });
    const final = await waitFor(() => reporter.final(job.jobId), 10_000, 'the activation to end');
    expect(final).toMatchObject({
      status: 'success',
      releaseDir: path.join(s.layout.releases, a.id),
      previousRelease: b.id,
    });
    expect(await s.current()).toBe(a.id);
  });

  it('refuses an action it does not know by name, and neither deploys nor switches anything', async () => {
    const { s, reporter, jobs, handlers } = await agent();
    const a = await deploy(s, s.repo.sha);
    const unknown = { ...s.deployJob(s.repo.sha), action: 'reinstall' };

    const answer = handlers.assign(unknown);
    expect(answer).toEqual({
      error: {
        code: 'bad_request',
        message: expect.stringMatching(
          /^this agent \(deploybot-agent .+\) does not know the job action "reinstall": upgrade it to run such jobs$/,
        ),
      },
    });
    expect(jobs.activeJobIds()).toEqual([]);
    expect(reporter.statuses).toEqual([]);
    expect(existsSync(path.join(s.layout.releases, unknown.jobId))).toBe(false);
    expect(await s.current()).toBe(a.id);
  });

  it('validates an activation: a release that is not a release name, a deploy field on an activation', async () => {
    const { s, jobs, handlers } = await agent();
    const bad = handlers.assign({ ...activation(jobId(), s.repo.sha), release: '../../etc' });
    expect(bad).toMatchObject({
      error: { code: 'bad_request', message: expect.stringMatching(/^invalid job:assign: release: /) },
    });
    const mixed = handlers.assign({
      ...activation(jobId(), s.repo.sha),
      repository: { name: REPO, url: s.repo.dir },
    });
    expect(mixed).toMatchObject({ error: { code: 'bad_request' } });
    expect(jobs.activeJobIds()).toEqual([]);
  });
});
