import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcessGroup } from './process-group';
import { processGone, removeTempDirs, tempDir, waitFor } from './test-helpers';

afterAll(removeTempDirs);

async function readPid(file: string): Promise<number> {
  return waitFor(
    async () => {
      const text = await readFile(file, 'utf8').catch(() => '');
      return text.trim() ? Number(text.trim()) : undefined;
    },
    5_000,
    `pid in ${file}`,
  );
}

describe('runProcessGroup', () => {
  it('streams stdout and stderr line by line, including a last line without newline', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const result = await runProcessGroup(
      '/bin/sh',
      ['-c', 'echo one; echo two >&2; printf "three"; exit 3'],
      {
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? '' },
        onStdout: (l) => out.push(l),
        onStderr: (l) => err.push(l),
      },
    );
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, aborted: false, spawnError: null });
    expect(out).toEqual(['one', 'three']);
    expect(err).toEqual(['two']);
  });

  it('kills the whole group on timeout, grandchildren included', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'grandchild.pid');
    const started = Date.now();
    const result = await runProcessGroup('/bin/sh', ['-c', `sleep 300 & echo $! > ${pidFile}; wait`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    const grandchild = await readPid(pidFile);
    await waitFor(() => processGone(grandchild), 2_000, 'grandchild to die');
  });

  it('kills the group when aborted, and escalates to SIGKILL when SIGTERM is ignored', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'stubborn.pid');
    const abort = new AbortController();
    const run = runProcessGroup(
      '/bin/sh',
      ['-c', `trap '' TERM; sh -c 'trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 1; done' & wait`],
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, signal: abort.signal, killGraceMs: 300 },
    );
    const stubborn = await readPid(pidFile);
    abort.abort('cancelled');
    const result = await run;
    expect(result.aborted).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    await waitFor(() => processGone(stubborn), 2_000, 'stubborn child to die');
  });

  it('ends what a finished step left running in the background', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'bg.pid');
    const result = await runProcessGroup('/bin/sh', ['-c', `sleep 300 & echo $! > ${pidFile}; echo done`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(result.exitCode).toBe(0);
    const bg = await readPid(pidFile);
    await waitFor(() => processGone(bg), 2_000, 'background process to die');
  });

  it('reports a program that cannot start', async () => {
    const result = await runProcessGroup('/nonexistent/program', [], { cwd: process.cwd(), env: {} });
    expect(result.spawnError).toBeInstanceOf(Error);
  });
});
