import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** A data directory already in use by another controller. */
export class DataDirInUseError extends Error {
  constructor(dir: string, holder: Holder) {
    super(
      `another DeployBot controller (pid ${holder.pid}, since ${holder.since}) is using the data directory ${dir}. ` +
        'The embedded database (PGlite) serves one controller: stop that one first, or run several controllers ' +
        'on PostgreSQL (DATABASE_URL).',
    );
  }
}

/**
 * Takes the data directory for this process: PGlite is a database inside one process, and a second process
 * opening the same files would corrupt them. The lock is a file naming the holder's pid; one left by a process
 * that is gone (killed with SIGKILL, say) is taken over, so a restart after a crash is never refused.
 * Returns the release.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'controller.lock');
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(file, 'wx'); // fails if it exists: two starts cannot both create it
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        const holder = await readHolder(file);
        if (holder?.pid === me.pid && holder.since === me.since) await unlink(file).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const holder = await readHolder(file);
      if (holder && holder.pid !== process.pid && holder.host === me.host && isAlive(holder.pid))
        throw new DataDirInUseError(dir, holder);
      // Its holder is gone (or wrote nothing readable): the lock is stale.
      await unlink(file).catch(() => {});
    }
  }
}

async function readHolder(file: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return null;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? 'unknown') };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
