import pg from 'pg';
import type { Db, Queryable } from './db';

// jsonb and timestamptz come back as JS values in PGlite; make pg agree for timestamps (ISO strings via Date).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** PostgreSQL through a connection pool. `schema`, when given, is created and used as the search path. */
export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;

  private constructor(
    private readonly pool: pg.Pool,
    /** How the pool connects: a listener needs a connection of its own, outside the pool. */
    private readonly clientConfig: pg.ClientConfig,
  ) {}

  static async open(
    connectionString: string,
    options: { schema?: string; max?: number } = {},
  ): Promise<PostgresDb> {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error(`invalid schema name: ${options.schema}`);
    }
    if (options.schema) {
      const admin = new pg.Client({ connectionString });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
      } finally {
        await admin.end();
      }
    }
    const clientConfig: pg.ClientConfig = {
      connectionString,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
    };
    const pool = new pg.Pool({ ...clientConfig, max: options.max ?? 10 });
    // An idle client losing its connection must not crash the controller; the pool replaces it.
    pool.on('error', () => {});
    await pool.query('SELECT 1');
    return new PostgresDb(pool, clientConfig);
  }

  /** How this database is reached (connection string, search path), for a pool of another's own (Socket.IO's adapter). */
  get connectionConfig(): Readonly<pg.ClientConfig> {
    return this.clientConfig;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const res = await this.pool.query(sql, params as unknown[]);
    return res.rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, params as unknown[])).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * LISTEN on a connection of its own (a pooled one would be handed to other queries). A lost connection is
   * opened again with a growing pause, and `onReconnect` tells the caller that notifications may have been missed.
   */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void = () => {},
  ): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`invalid channel name: ${channel}`);
    let client: pg.Client | null = null;
    let stopped = false;
    let retryMs = 100;
    let timer: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client(this.clientConfig);
      next.on('notification', (n) => {
        if (n.channel === channel) onMessage(n.payload ?? '');
      });
      const lost = () => {
        if (client !== next) return;
        client = null;
        next.end().catch(() => {});
        if (!stopped) reconnectLater();
      };
      next.on('error', lost);
      next.on('end', lost);
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      client = next;
      retryMs = 100;
    };
    const reconnectLater = () => {
      timer = setTimeout(() => {
        connect().then(onReconnect, () => {
          retryMs = Math.min(retryMs * 2, 5_000);
          if (!stopped) reconnectLater();
        });
      }, retryMs);
      timer.unref();
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
