import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';

const LOCK_FILE = '.deploybot-agent.lock';

export class WorkdirLocked extends Error {}

/**
 * Two agents sharing a work dir would fetch into the same caches and flip the same `current` links under each
 * other. The lock file holds the owner's pid; a lock whose process is gone is taken over.
 */
export async function lockWorkdir(workdir: string): Promise<() => Promise<void>> {
  const file = path.join(workdir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await unlink(file).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new WorkdirLocked(
        `${workdir} is in use by another agent (pid ${pid}); if that is wrong, delete ${file}`,
      );
    }
    await unlink(file).catch(() => {});
  }
  throw new WorkdirLocked(`cannot lock ${workdir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
