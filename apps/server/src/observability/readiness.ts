import type { Queryable } from '../db/db';
import { loadMigrations } from '../db/migrate';

/** One check of /health/ready: whether it passed, and what failed when it did not. */
export interface ReadinessCheck {
  ok: boolean;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: ReadinessCheck; migrations: ReadinessCheck; leaseLoop: ReadinessCheck };
}

export interface ReadinessOptions {
  db: Queryable;
  /** Whether the run-lease loop is renewing; absent (no leases yet) counts as alive. */
  leaseLoopAlive?: () => boolean;
  /** Migration versions this build needs. Default: the files in db/migrations (read once). */
  expectedMigrations?: () => Promise<number[]>;
}

let shippedVersions: Promise<number[]> | undefined;
/** The versions of the migrations this build ships; the directory does not change while the process runs. */
function shippedMigrations(): Promise<number[]> {
  shippedVersions ??= loadMigrations().then((all) => all.map((m) => m.version));
  // A failed read is tried again on the next probe rather than remembered.
  shippedVersions.catch(() => {
    shippedVersions = undefined;
  });
  return shippedVersions;
}

/**
 * Whether this controller should be sent traffic: the database answers, it carries every migration this build
 * needs (a controller started ahead of its migrations would fail on its first query), and the lease loop runs.
 */
export async function checkReadiness(opts: ReadinessOptions): Promise<Readiness> {
  const database = await opts.db.query('SELECT 1').then(
    (): ReadinessCheck => ({ ok: true }),
    (err: unknown): ReadinessCheck => ({ ok: false, error: `database unreachable: ${messageOf(err)}` }),
  );
  const migrations: ReadinessCheck = database.ok
    ? await missingMigrations(opts).then(
        (missing): ReadinessCheck =>
          missing.length === 0
            ? { ok: true }
            : { ok: false, error: `migrations not applied: ${missing.join(', ')}` },
        (err: unknown): ReadinessCheck => ({ ok: false, error: `migrations unknown: ${messageOf(err)}` }),
      )
    : { ok: false, error: 'not checked: the database is unreachable' };
  const leaseLoop: ReadinessCheck =
    (opts.leaseLoopAlive?.() ?? true) ? { ok: true } : { ok: false, error: 'the run lease loop has stopped' };
  return { ready: database.ok && migrations.ok && leaseLoop.ok, checks: { database, migrations, leaseLoop } };
}

async function missingMigrations(opts: ReadinessOptions): Promise<number[]> {
  const expected = await (opts.expectedMigrations ?? shippedMigrations)();
  const rows = await opts.db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => Number(r.version)));
  return expected.filter((v) => !applied.has(v));
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
