/**
 * Fixtures for the agent's tests: real git repositories in temp dirs, real processes. Not used at run time.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dirs: string[] = [];

export async function tempDir(prefix = 'deploybot-agent-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function gitSync(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  }).trim();
}

export interface TestRepo {
  dir: string;
  /** Writes the files, commits them on `main` and returns the new sha. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
}

export async function makeRepo(files: Record<string, string>): Promise<TestRepo & { sha: string }> {
  const dir = await tempDir('deploybot-repo-');
  gitSync(dir, ['init', '--quiet', '--initial-branch=main']);
  const repo: TestRepo = {
    dir,
    async commit(next, message = 'change') {
      for (const [name, content] of Object.entries(next)) {
        await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await writeFile(path.join(dir, name), content);
      }
      gitSync(dir, ['add', '--all']);
      gitSync(dir, ['commit', '--quiet', '--allow-empty', '-m', message]);
      return gitSync(dir, ['rev-parse', 'HEAD']);
    },
  };
  const sha = await repo.commit(files, 'initial');
  return { ...repo, sha };
}

export function jobId(): string {
  return randomUUID();
}

/** Gone, or a zombie nobody reaped yet (which holds nothing and runs nothing). */
export function processGone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const text = readFileSync(stat, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
