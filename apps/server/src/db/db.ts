/** Anything that can run a parameterised SQL statement: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/**
 * The one database port. Two implementations speak the same PostgreSQL dialect:
 * PGlite (embedded, the default) and PostgreSQL (`DATABASE_URL`).
 */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs a multi-statement script (migrations); no parameters. */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onMessage` with the payload of every NOTIFY on `channel` (any connection, any controller) until the
   * returned function is called. `onReconnect` runs after the listening connection was lost and is back:
   * notifications sent meanwhile are gone, so the caller looks again at what they would have told it.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
