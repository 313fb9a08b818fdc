import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './test-helpers';
import { lockWorkdir, WorkdirLocked } from './workdir-lock';

afterAll(removeTempDirs);

describe('lockWorkdir', () => {
  it('refuses a work dir held by a live process and takes over a stale lock', async () => {
    const dir = await tempDir();
    const file = path.join(dir, '.deploybot-agent.lock');
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await writeFile(file, `${other.pid}\n`);
      await expect(lockWorkdir(dir)).rejects.toThrow(WorkdirLocked);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    const unlock = await lockWorkdir(dir);
    expect(Number(await readFile(file, 'utf8'))).toBe(process.pid);
    await unlock();
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
