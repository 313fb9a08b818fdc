import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

const AUTHOR = [
  '-c',
  'user.name=Fleet Test',
  '-c',
  'user.email=fleet-test@deploybot.invalid',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'init.defaultBranch=main',
];

/** git with an argument array (never a shell), in `dir`. */
export async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['-C', dir, ...AUTHOR, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout.trim();
}

/** What the `build` step prints about the agent's own DEPLOYBOT_* settings: they never reach a step. */
export const NO_SECRETS = 'agent secrets seen by the step: none none';
/** Text every successful deploy prints (the manifest's `env` and its `release` step). */
export const GREETING = 'Hello from the fleet test';
/** What the `broken` branch's failing step writes to stderr before `exit 1`. */
export const SMOKE_FAILURE = 'smoke test failed: expected 200, got 503';
/** A valid but unusual ref: `/`, `.` and `+` are all legal in a branch name. */
export const UNUSUAL_REF = 'release/v1.2+build.5';

const MAIN_MANIFEST = `env:
  GREETING: ${GREETING}
steps:
  - name: build
    run: |
      echo "building $DEPLOYBOT_REPOSITORY at $DEPLOYBOT_SHA"
      echo "ref=$DEPLOYBOT_REF"
      echo "agent secrets seen by the step: \${DEPLOYBOT_TOKEN:-none} \${DEPLOYBOT_CONTROLLER:-none}"
      mkdir -p build && cp VERSION build/
  - name: release
    run: echo "$GREETING, version $(cat build/VERSION)"
`;

const BROKEN_MANIFEST = `steps:
  - name: build
    run: echo "building the broken branch"
  - name: smoke-test
    run: |
      echo "smoke test starting"
      echo "${SMOKE_FAILURE}" >&2
      exit 1
  - name: release
    run: echo "never reached"
`;

/**
 * A step that holds the job: it writes its own pid (the process-group leader) and a grandchild's pid to
 * $FLEET_TEST_PIDS, then waits on a `sleep 30`. An agent started with FLEET_TEST_FAST=1 takes a fast path.
 */
const SLOW_MANIFEST = `steps:
  - name: prepare
    run: echo "preparing slow release"
  - name: wait-for-traffic
    timeout: 120
    run: |
      if [ "\${FLEET_TEST_FAST:-}" = 1 ]; then echo "fast path, nothing to wait for"; exit 0; fi
      echo $$ > "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.leader.tmp"
      ( sleep 30 & echo $! > "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.grandchild.tmp"; wait ) &
      while [ ! -s "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.grandchild.tmp" ]; do sleep 0.05; done
      mv "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.grandchild.tmp" "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.grandchild"
      mv "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.leader.tmp" "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.leader"
      echo "waiting for traffic to drain"
      wait
      echo "slow step done"
`;

export interface DeployRepo {
  /** What is registered with POST /v1/repositories (a bare clone, or the work tree itself). */
  url: string;
  /** Full sha of a branch or tag. */
  sha(ref: string): Promise<string>;
}

/**
 * A real repository with a deploybot.yml on each branch: `main` deploys and echoes known text, `broken` fails
 * its `smoke-test` step with exit 1, `slow` waits (to be killed or cancelled), `release/v1.2+build.5` is main
 * under an unusual name, and tag `v1.0.0` points at main. `bare` registers a bare clone instead of the work tree.
 */
export async function createDeployRepo(dir: string, opts: { bare?: boolean } = {}): Promise<DeployRepo> {
  const work = opts.bare ? `${dir}-work` : dir;
  await mkdir(work, { recursive: true });
  await git(work, 'init', '--quiet', '--initial-branch=main');
  await writeFile(join(work, 'VERSION'), '1.0.0\n');
  await writeFile(join(work, 'deploybot.yml'), MAIN_MANIFEST);
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', 'hello 1.0.0');
  await git(work, 'tag', 'v1.0.0');
  await git(work, 'branch', UNUSUAL_REF);
  for (const [branch, manifest] of [
    ['broken', BROKEN_MANIFEST],
    ['slow', SLOW_MANIFEST],
  ] as const) {
    await git(work, 'checkout', '--quiet', '-b', branch, 'main');
    await writeFile(join(work, 'deploybot.yml'), manifest);
    await git(work, 'commit', '--quiet', '-am', `${branch} manifest`);
  }
  await git(work, 'checkout', '--quiet', 'main');
  let url = work;
  if (opts.bare) {
    await exec('git', ['clone', '--quiet', '--bare', '--', work, dir]);
    url = dir;
  }
  return { url, sha: (ref) => git(url, 'rev-parse', `${ref}^{commit}`) };
}
