/**
 * One controller of the cluster benchmark, as a real process (`node --import tsx bench/cluster-controller.ts`, so
 * its pid is the controller itself and /proc/<pid>/stat is its CPU alone). createApp on PostgreSQL in the schema
 * the controllers share, with only the benchmark's workflows: what is measured is the engine, the store, the
 * NOTIFY hand-offs and the Socket.IO adapter, not the built-ins. Prints `LISTENING <port>` once it listens.
 *
 * Environment (set by scenarios/cluster.ts):
 *   BENCH_DATABASE_URL, BENCH_CLUSTER_SCHEMA  where the controllers meet (migrated here; idempotent)
 *   BENCH_ADMIN_TOKEN     the bootstrap admin's API token (the first controller creates it, the others find it)
 *   BENCH_CLUSTER_LEASE_MS  run leases (the product's DEPLOYBOT_LEASE_MS)
 *   BENCH_STEPS, BENCH_CLUSTER_SLOW_MS  the chain's length and the slow step's duration
 */
import pino from 'pino';
import { createApp } from '../src/app';
import { migrate } from '../src/db/migrate';
import { PostgresDb } from '../src/db/postgres-db';
import { DEFAULT_FLEET_OPTIONS } from '../src/fleet/fleet';
import { serveAsChild } from '../src/testing/serve-as-child';
import { chainWorkflow, slowWorkflow } from './workflows';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const numberOf = (name: string, fallback: number) => Number(process.env[name] || fallback);

const db = await PostgresDb.open(required('BENCH_DATABASE_URL'), {
  schema: required('BENCH_CLUSTER_SCHEMA'),
});
await migrate(db);
const app = createApp({
  db,
  logger: pino({ level: 'warn' }, pino.destination(2)),
  version: 'bench-cluster',
  workflows: () => ({
    kinds: [],
    documents: [],
    definitions: [
      chainWorkflow(numberOf('BENCH_STEPS', 10)),
      slowWorkflow(numberOf('BENCH_CLUSTER_SLOW_MS', 500)),
    ],
  }),
  // The fleet is built but idle: no agent connects, and no benchmark step asks it for anything.
  fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: 'http://127.0.0.1' },
  security: { corsOrigins: [], loginLimitPerMinute: 10, fourEyes: false, approverRoles: {} },
  leaseMs: numberOf('BENCH_CLUSTER_LEASE_MS', 10_000),
});
await serveAsChild(app, db, { port: 0, host: '127.0.0.1', adminToken: required('BENCH_ADMIN_TOKEN') });
