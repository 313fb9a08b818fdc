import type { Db, Queryable } from '../src/db/db';

/**
 * A Db that counts what is asked of the database: every statement (inside a transaction too), and every
 * transaction (its BEGIN and COMMIT) once more in `transactions`. The parked scenario wraps the engine's database in it to
 * show that runs waiting at a gate cost no queries at all.
 */
export class CountingDb implements Db {
  statements = 0;
  transactions = 0;

  constructor(private readonly inner: Db) {}

  get kind(): Db['kind'] {
    return this.inner.kind;
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.statements++;
    return this.inner.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    this.statements++;
    return this.inner.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.transactions++;
    return this.inner.transaction((tx) =>
      fn({
        query: <R>(sql: string, params?: readonly unknown[]) => {
          this.statements++;
          return tx.query<R>(sql, params);
        },
      }),
    );
  }

  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    return this.inner.listen(channel, onMessage, onReconnect);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Statements and transactions so far, to subtract from a later reading. */
  snapshot(): { statements: number; transactions: number } {
    return { statements: this.statements, transactions: this.transactions };
  }
}
