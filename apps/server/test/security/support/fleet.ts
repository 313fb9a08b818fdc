import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobDto } from '@deploybot/shared';
import { enrollFakeAgent, type FakeAgent } from './fake-agent';
import { call } from './http';
import { type SecurityServer, TEST_ADMIN_TOKEN } from './server';

const exec = promisify(execFile);
const admin = { token: TEST_ADMIN_TOKEN };

/** A one-commit git repository on `main` in a temp dir (git with argument arrays, never a shell). */
export async function createGitRepo(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'deploybot-security-repo-'));
  const git = (...args: string[]) =>
    exec(
      'git',
      [
        '-C',
        dir,
        '-c',
        'user.name=Security Test',
        '-c',
        'user.email=security@deploybot.invalid',
        '-c',
        'commit.gpgsign=false',
        ...args,
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GIT_TERMINAL_PROMPT: '0' } },
    );
  await git('init', '-q', '-b', 'main');
  await writeFile(join(dir, 'deploybot.yml'), 'steps:\n  - name: build\n    run: echo built\n');
  await git('add', '.');
  await git('commit', '-q', '-m', 'initial');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Issues a join token as the admin (POST /v1/agents/join-tokens). */
export async function issueJoinToken(s: SecurityServer, hostname: string): Promise<string> {
  const res = await call<{ token: string }>(s.url, 'POST', '/v1/agents/join-tokens', {
    creds: admin,
    body: { hostname },
  });
  if (res.status !== 201) throw new Error(`join token for ${hostname}: ${res.status} ${res.text}`);
  return res.body.token;
}

/** A fake agent enrolled with a fresh join token; it holds its long-lived credential. */
export async function enrollAgent(
  s: SecurityServer,
  hostname: string,
): Promise<{ agent: FakeAgent; agentId: string; hostname: string }> {
  const token = await issueJoinToken(s, hostname);
  return { ...(await enrollFakeAgent(s.app, s.url, token, hostname)), hostname };
}

export async function registerRepository(s: SecurityServer, name: string, url: string): Promise<void> {
  const res = await call(s.url, 'POST', '/v1/repositories', { creds: admin, body: { name, url } });
  if (res.status !== 201) throw new Error(`POST /v1/repositories ${name}: ${res.status} ${res.text}`);
}

/** Creates a job as the admin over REST (the ref is resolved against the real repository). */
export async function createJob(s: SecurityServer, repository: string, agent: string): Promise<JobDto> {
  const res = await call<JobDto>(s.url, 'POST', '/v1/jobs', {
    creds: admin,
    body: { repository, ref: 'main', agent },
  });
  if (res.status !== 201) throw new Error(`POST /v1/jobs: ${res.status} ${res.text}`);
  return res.body;
}
