import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './db';

/**
 * PGlite's own start parameters plus smaller buffers. Its default shared_buffers (128 MB) sits in the process's
 * WebAssembly memory whether or not the data needs it; a controller's working set is a few MB of runs, events,
 * jobs and logs, so 16 MB keeps it in memory many times over (measured by `pnpm bench`, cold-start scenario).
 */
export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  ...[
    '-c',
    'shared_buffers=8MB',
    '-c',
    'maintenance_work_mem=8MB',
    '-c',
    'wal_buffers=1MB',
    '-c',
    'temp_buffers=1MB',
  ],
];

const INITDB_SCRIPT = join(import.meta.dirname, 'pglite-initdb.mjs');

/**
 * Embedded PostgreSQL (WASM). `dataDir` is a directory, or `memory://` for a throw-away database.
 * PGlite on Node never fsyncs: data survives a killed process, not a power loss.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;

  private constructor(private readonly pg: PGlite) {}

  static async open(dataDir: string, options: { loadDataDir?: Blob } = {}): Promise<PgliteDb> {
    const onDisk = dataDir !== 'memory://';
    if (onDisk && !options.loadDataDir && !(await hasCluster(dataDir))) await initCluster(dataDir);
    const pg = await PGlite.create(onDisk ? dataDir : undefined, {
      loadDataDir: options.loadDataDir,
      startParams: [...PGLITE_START_PARAMS],
    });
    return new PgliteDb(pg);
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    // PGlite runs SQL synchronously in WASM and settles its promises without I/O: without this yield a busy
    // engine never gives the event loop a turn, and sockets, HTTP and timers freeze until it goes idle.
    await yieldToEventLoop();
    const res = await this.pg.query<T>(sql, params as unknown[]);
    return res.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    await yieldToEventLoop();
    return this.pg.transaction((tx) =>
      fn({
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await tx.query<R>(sql, params as unknown[])).rows,
      }),
    );
  }

  /** PGlite is one process: every NOTIFY reaches it on its own connection, which is never lost. */
  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    return this.pg.listen(channel, onMessage);
  }

  /** A snapshot of the whole data directory, used by tests to clone a migrated database quickly. */
  async dump(): Promise<Blob> {
    return this.pg.dumpDataDir('none');
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}

async function hasCluster(dataDir: string): Promise<boolean> {
  try {
    await access(join(dataDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs initdb in a short-lived Node process (see pglite-initdb.mjs): what it allocates ends with that process
 * instead of staying in the controller's resident memory.
 */
async function initCluster(dataDir: string): Promise<void> {
  try {
    await promisify(execFile)(
      process.execPath,
      [INITDB_SCRIPT, dataDir, JSON.stringify(PGLITE_START_PARAMS)],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(
      `could not create the PGlite database in ${dataDir}: ${stderr || (err as Error).message}`,
    );
  }
}
