import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobAssignment } from '@deploybot/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { type JobOutcome, type JobRunnerOptions, runJob } from './job-runner';
import type { LogStream } from './log-batcher';
import { repoLayout } from './repo-paths';
import { gitSync, jobId, makeRepo, processGone, removeTempDirs, tempDir, waitFor } from './test-helpers';

afterAll(removeTempDirs);

const REPO = 'demo/hello-app';

function assignment(url: string, sha: string, extra: Partial<JobAssignment> = {}): JobAssignment {
  return { jobId: jobId(), repository: { name: REPO, url }, ref: 'main', sha, timeoutSec: 60, ...extra };
}

interface Run {
  outcome: JobOutcome;
  lines: { stream: LogStream; line: string }[];
  text: (stream?: LogStream) => string[];
}

async function run(
  job: JobAssignment,
  options: JobRunnerOptions,
  abort = new AbortController(),
): Promise<Run> {
  const lines: Run['lines'] = [];
  const outcome = await runJob(job, options, {
    log: (stream, line) => lines.push({ stream, line }),
    progress: () => {},
    signal: abort.signal,
  });
  return { outcome, lines, text: (s) => lines.filter((l) => !s || l.stream === s).map((l) => l.line) };
}

function manifest(steps: string, extra = ''): string {
  return `${extra}steps:\n${steps}`;
}

describe('runJob', () => {
  it('fetches, runs the steps in the release with their env, and switches current', async () => {
    const repo = await makeRepo({
      'deploybot.yml': manifest(
        `  - name: build
    run: |
      echo "building $DEPLOYBOT_REPOSITORY at $DEPLOYBOT_SHA in $(pwd)"
      echo "greeting=$GREETING target=$TARGET token=\${DEPLOYBOT_TOKEN:-none} env=$DEPLOYBOT_ENVIRONMENT"
      echo oops >&2
      printf 'no newline'
    env: { TARGET: web }
  - name: write
    run: echo built > built.txt
`,
        'env: { GREETING: hi }\n',
      ),
    });
    const workdir = await tempDir();
    const job = assignment(repo.dir, repo.sha);
    process.env.DEPLOYBOT_TOKEN = 'secret-token-that-must-not-leak';
    const { outcome, text } = await run(job, {
      workdir,
      keepReleases: 5,
      environment: () => 'staging',
    }).finally(() => {
      delete process.env.DEPLOYBOT_TOKEN;
    });

    const layout = repoLayout(workdir, REPO);
    const releaseDir = path.join(layout.releases, job.jobId);
    expect(outcome).toMatchObject({ status: 'success', exitCode: 0, cause: null, releaseDir });
    expect(text('stdout')).toEqual([
      `building ${REPO} at ${repo.sha} in ${releaseDir}`,
      'greeting=hi target=web token=none env=staging',
      'no newline',
    ]);
    expect(text('stderr')).toEqual(['oops']);
    const system = text('system');
    expect(system).toContain('$ step build');
    expect(system).toContain('$ step write');
    expect(system).toContain(`current -> releases/${job.jobId}`);
    expect(system.some((l) => l.startsWith('fetching '))).toBe(true);
    expect(await readlink(layout.current)).toBe(`releases/${job.jobId}`);
    expect(await readFile(path.join(layout.current, 'built.txt'), 'utf8')).toBe('built\n');
  });

  it('fails with step_failed and the exit code, and leaves current alone', async () => {
    const repo = await makeRepo({ 'deploybot.yml': manifest('  - { name: ok, run: "true" }\n') });
    const workdir = await tempDir();
    const good = await run(assignment(repo.dir, repo.sha), { workdir, keepReleases: 5 });
    expect(good.outcome.status).toBe('success');

    const bad = await repo.commit({
      'deploybot.yml': manifest(
        '  - { name: test, run: "echo testing; exit 3" }\n  - { name: never, run: "true" }\n',
      ),
    });
    const job = assignment(repo.dir, bad);
    const { outcome, text } = await run(job, { workdir, keepReleases: 5 });
    expect(outcome).toMatchObject({ status: 'failed', cause: 'step_failed', exitCode: 3, step: 'test' });
    expect(outcome.error).toMatch(/step test exited with code 3/);
    expect(text('system').some((l) => /^exit code 3 after \d+\.\ds$/.test(l))).toBe(true);
    expect(text('system')).not.toContain('$ step never');
    const current = await readlink(repoLayout(workdir, REPO).current);
    expect(current).not.toContain(job.jobId);
  });

  it('classifies a bad manifest, a missing commit and an unreachable repository', async () => {
    const workdir = await tempDir();
    const repo = await makeRepo({ 'deploybot.yml': 'steps:\n  - name: x\n    runn: true\n' });
    const invalid = await run(assignment(repo.dir, repo.sha), { workdir, keepReleases: 5 });
    expect(invalid.outcome).toMatchObject({ status: 'failed', cause: 'manifest_invalid' });
    expect(invalid.outcome.error).toMatch(/deploybot.yml: steps\[0\]/);

    const missing = await run(assignment(repo.dir, 'f'.repeat(40)), { workdir, keepReleases: 5 });
    expect(missing.outcome).toMatchObject({ status: 'failed', cause: 'ref_not_found' });

    const unreachable = await run(assignment(path.join(workdir, 'nope'), 'f'.repeat(40)), {
      workdir,
      keepReleases: 5,
    });
    expect(unreachable.outcome).toMatchObject({ status: 'failed', cause: 'clone_failed' });
    expect(unreachable.text('system').some((l) => l.startsWith('git: fatal:'))).toBe(true);
  });

  it('kills the process group of a step that outlives its timeout', async () => {
    const repo = await makeRepo({
      'deploybot.yml': manifest(
        '  - name: hang\n    run: sleep 300 & echo $! > gc.pid; wait\n    timeout: 1\n',
      ),
    });
    const workdir = await tempDir();
    const job = assignment(repo.dir, repo.sha);
    const { outcome } = await run(job, { workdir, keepReleases: 5, killGraceMs: 500 });
    expect(outcome).toMatchObject({ status: 'failed', cause: 'timeout', step: 'hang' });
    const pid = Number(await readFile(path.join(outcome.releaseDir!, 'gc.pid'), 'utf8'));
    await waitFor(() => processGone(pid), 2_000, 'the grandchild to die');
    expect(existsSync(repoLayout(workdir, REPO).current)).toBe(false);
  });

  it('enforces the job timeout across steps', async () => {
    // The first step passes, the second outlives what is left of the job's time. The budget leaves room for the
    // fetch on a busy machine, so the timeout lands in a step, which is what this is about.
    const repo = await makeRepo({
      'deploybot.yml': manifest('  - { name: quick, run: "true" }\n  - { name: slow, run: "sleep 60" }\n'),
    });
    const { outcome } = await run(assignment(repo.dir, repo.sha, { timeoutSec: 8 }), {
      workdir: await tempDir(),
      keepReleases: 5,
    });
    expect(outcome).toMatchObject({ status: 'failed', cause: 'timeout', step: 'slow' });
    expect(outcome.error).toBe('job timed out after 8s');
  });

  it('cancels: kills the running step and reports cancelled', async () => {
    const repo = await makeRepo({
      'deploybot.yml': manifest('  - name: long\n    run: sleep 300 & echo $! > gc.pid; wait\n'),
    });
    const workdir = await tempDir();
    const job = assignment(repo.dir, repo.sha);
    const abort = new AbortController();
    const pidFile = path.join(repoLayout(workdir, REPO).releases, job.jobId, 'gc.pid');
    const running = run(job, { workdir, keepReleases: 5 }, abort);
    const pid = await waitFor(
      async () => Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined,
    );
    abort.abort('cancelled');
    const { outcome } = await running;
    expect(outcome).toMatchObject({ status: 'cancelled', cause: 'cancelled', step: 'long' });
    await waitFor(() => processGone(pid), 2_000, 'the grandchild to die');
  });

  it('keeps the newest releases, never deleting the current one', async () => {
    const repo = await makeRepo({
      'deploybot.yml': manifest('  - { name: ok, run: "true" }\n', 'keep_releases: 2\n'),
    });
    const workdir = await tempDir();
    const layout = repoLayout(workdir, REPO);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const job = assignment(repo.dir, repo.sha);
      ids.push(job.jobId);
      expect((await run(job, { workdir, keepReleases: 5 })).outcome.status).toBe('success');
    }
    expect((await readdir(layout.releases)).sort()).toEqual([ids[1], ids[2]].sort());

    // Two failures later, the current release (ids[2]) is older than the two kept, yet still there.
    const broken = await repo.commit({
      'deploybot.yml': manifest('  - { name: bad, run: "exit 1" }\n', 'keep_releases: 2\n'),
    });
    const failed: string[] = [];
    for (let i = 0; i < 2; i++) {
      const job = assignment(repo.dir, broken);
      failed.push(job.jobId);
      expect((await run(job, { workdir, keepReleases: 5 })).outcome.status).toBe('failed');
    }
    expect((await readdir(layout.releases)).sort()).toEqual([ids[2], ...failed].sort());
    expect(await readlink(layout.current)).toBe(`releases/${ids[2]}`);
  });

  it("gives steps an allow-listed environment: none of the agent's secrets, only what --pass-env names", async () => {
    const repo = await makeRepo({
      'deploybot.yml': manifest('  - name: env\n    run: env | sort\n    env: { FROM_MANIFEST: yes }\n'),
    });
    const planted = {
      DATABASE_URL: 'postgres://controller:db-password@127.0.0.1/deploybot',
      OPENAI_API_KEY: 'sk-must-not-leak',
      DEPLOYBOT_TOKEN: 'dbj_must-not-leak',
      AWS_SECRET_ACCESS_KEY: 'aws-must-not-leak',
      BUILD_CACHE_URL: 'http://cache.internal',
      LC_TIME: 'C',
    };
    Object.assign(process.env, planted);
    const job = assignment(repo.dir, repo.sha);
    const { outcome, text } = await run(job, {
      workdir: await tempDir(),
      keepReleases: 5,
      passEnv: ['BUILD_CACHE_URL'],
      environment: () => 'staging',
    }).finally(() => {
      for (const key of Object.keys(planted)) delete process.env[key];
    });
    expect(outcome.status).toBe('success');
    const env = new Map(
      text('stdout').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    for (const leaked of ['DATABASE_URL', 'OPENAI_API_KEY', 'DEPLOYBOT_TOKEN', 'AWS_SECRET_ACCESS_KEY']) {
      expect(env.has(leaked), leaked).toBe(false);
    }
    expect(text('stdout').join('\n')).not.toMatch(/must-not-leak|db-password/);
    expect(env.get('BUILD_CACHE_URL')).toBe('http://cache.internal');
    expect(env.get('LC_TIME')).toBe('C');
    expect(env.get('FROM_MANIFEST')).toBe('yes');
    expect(env.get('PATH')).toBeTruthy();
    expect(env.get('DEPLOYBOT_JOB_ID')).toBe(job.jobId);
    expect(env.get('DEPLOYBOT_ENVIRONMENT')).toBe('staging');
    const allowed =
      /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|LC_\w+|PWD|SHLVL|OLDPWD|_|DEPLOYBOT_(JOB_ID|REPOSITORY|REF|SHA|RELEASE_DIR|ENVIRONMENT)|FROM_MANIFEST|BUILD_CACHE_URL)$/;
    expect([...env.keys()].filter((k) => !allowed.test(k))).toEqual([]);
  });

  it('refuses a deploybot.yml committed as a symbolic link out of the repository', async () => {
    const secret = path.join(await tempDir(), 'secret.key');
    await writeFile(secret, 'steps:\n  - { name: sealing-key-AAAA, run: "true" }\n');
    const repo = await makeRepo({ 'README.md': 'hi\n' });
    await symlink(secret, path.join(repo.dir, 'deploybot.yml'));
    gitSync(repo.dir, ['add', '--all']);
    gitSync(repo.dir, ['commit', '--quiet', '-m', 'link the manifest']);
    const sha = gitSync(repo.dir, ['rev-parse', 'HEAD']);
    // The link lives in the commit only: the release is the one place it exists on the agent.
    await unlink(path.join(repo.dir, 'deploybot.yml'));
    const { outcome, text } = await run(assignment(repo.dir, sha), {
      workdir: await tempDir(),
      keepReleases: 5,
    });
    expect(outcome).toMatchObject({ status: 'failed', cause: 'manifest_invalid' });
    expect(outcome.error).toMatch(/deploybot.yml is a symbolic link that leads out of the repository/);
    expect(text().join('\n')).not.toContain('sealing-key-AAAA');
  });
});
