import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './db';

/**
 * Embedded PostgreSQL (WASM). `dataDir` is a directory, or `memory://` for a throw-away database.
 * PGlite on Node never fsyncs: data survives a killed process, not a power loss.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;

  private constructor(private readonly pg: PGlite) {}

  static async open(dataDir: string, options: { loadDataDir?: Blob } = {}): Promise<PgliteDb> {
    const pg = await PGlite.create(dataDir === 'memory://' ? undefined : dataDir, {
      loadDataDir: options.loadDataDir,
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

  /** A snapshot of the whole data directory, used by tests to clone a migrated database quickly. */
  async dump(): Promise<Blob> {
    return this.pg.dumpDataDir('none');
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}
