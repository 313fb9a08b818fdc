import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from './data-dir-lock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deploybot-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited: a lock naming it was left by a crash. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('lockDataDir', () => {
  it('refuses a data directory held by a live process, naming it and what to do', async () => {
    // This test's parent (vitest's main process) stands for another live controller.
    await writeFile(
      join(dir, 'controller.lock'),
      JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-12-01T00:00:00.000Z' }),
    );
    const err = await lockDataDir(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toMatch(new RegExp(`pid ${process.ppid}.*one controller.*DATABASE_URL`));
  });

  it('takes over a lock left by a process that is gone, and releases it', async () => {
    await writeFile(join(dir, 'controller.lock'), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const release = await lockDataDir(dir);
    expect(JSON.parse(await readFile(join(dir, 'controller.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    await release();
    await expect(readFile(join(dir, 'controller.lock'))).rejects.toThrow(/ENOENT/);
    // Free again: the next controller takes it.
    await (await lockDataDir(dir))();
  });

  it('a lock it cannot read (a crash mid-write) is stale, not a reason to refuse', async () => {
    await writeFile(join(dir, 'controller.lock'), '{"pid": 12');
    const release = await lockDataDir(dir);
    await release();
  });
});
