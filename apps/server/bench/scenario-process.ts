/**
 * One scenario against one database, in a process of its own: memory figures then start from a clean heap,
 * and one scenario's garbage, JIT state or PGlite buffers never bleed into the next one's numbers.
 * Started by engine.bench.ts with `<scenario> <db>` and an IPC channel; sends back one Outcome.
 */
import type { Db } from '../src/db/db';
import { type BenchConfig, DB_KINDS, type DbKind, loadConfig, SCENARIOS, type ScenarioName } from './config';
import { openBenchDb } from './databases';
import type { Outcome, ScenarioResult } from './results';

type Runner = (db: Db, cfg: BenchConfig) => Promise<ScenarioResult>;
/** A scenario that brings its own database (DBOS creates and migrates its system database itself). */
type OwnDbRunner = (cfg: BenchConfig) => Promise<ScenarioResult>;

// Loaded on demand: only the realtime scenario needs the whole app (HTTP, auth, fleet, assistant), and the
// engine-only scenarios should neither carry its memory nor break when an unrelated module does not load.
// The cold start and the cluster are not here: they spawn controllers of their own from engine.bench.ts.
const RUNNERS: Record<
  Exclude<ScenarioName, 'coldstart' | 'cluster' | 'approvals-dbos'>,
  () => Promise<Runner>
> = {
  throughput: async () => (await import('./scenarios/throughput')).throughput,
  floor: async () => (await import('./scenarios/floor')).floor,
  runsize: async () => (await import('./scenarios/runsize')).runsize,
  fanout: async () => (await import('./scenarios/fanout')).fanout,
  parked: async () => (await import('./scenarios/parked')).parked,
  realtime: async () => (await import('./scenarios/realtime')).realtime,
  history: async () => (await import('./scenarios/history')).history,
  trends: async () => (await import('./scenarios/trends')).trends,
  // The approvals' result type is not in results.ts's ScenarioResult union yet (see approvals.ts).
  approvals: async () => (await import('./scenarios/approvals')).approvals as unknown as Runner,
};
const OWN_DB_RUNNERS: Record<'approvals-dbos', () => Promise<OwnDbRunner>> = {
  'approvals-dbos': async () =>
    (await import('./scenarios/approvals-dbos')).approvalsDbos as unknown as OwnDbRunner,
};

async function runScenario(scenario: ScenarioName, kind: DbKind): Promise<ScenarioResult> {
  const cfg = loadConfig();
  if (scenario === 'coldstart' || scenario === 'cluster')
    throw new Error(`the ${scenario} scenario runs from engine.bench.ts`);
  if (scenario === 'approvals-dbos') {
    if (kind !== 'postgres') throw new Error('DBOS Transact runs on PostgreSQL only');
    return (await OWN_DB_RUNNERS[scenario]())(cfg);
  }
  const run = await RUNNERS[scenario]();
  const bench = await openBenchDb(kind, cfg.databaseUrl);
  try {
    return await run(bench.db, cfg);
  } finally {
    await bench.dispose();
  }
}

function parseArgs(argv: string[]): { scenario: ScenarioName; db: DbKind } {
  const [scenario, db] = argv;
  if (!SCENARIOS.includes(scenario as ScenarioName) || !DB_KINDS.includes(db as DbKind)) {
    throw new Error(`usage: scenario-process.ts <${SCENARIOS.join('|')}> <${DB_KINDS.join('|')}>`);
  }
  return { scenario: scenario as ScenarioName, db: db as DbKind };
}

async function main(): Promise<void> {
  const { scenario, db } = parseArgs(process.argv.slice(2));
  let outcome: Outcome;
  try {
    outcome = { db, scenario, ok: true, result: await runScenario(scenario, db) };
  } catch (err) {
    console.error(err); // the whole stack goes here; the report shows the message
    outcome = { db, scenario, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  await report(outcome);
  // Socket.IO, pg and PGlite can leave handles behind after close; the answer is delivered, so leave now.
  process.exit(outcome.ok ? 0 : 1);
}

/** To the parent over IPC (waiting until it is written), or to stdout when run by hand. */
function report(outcome: Outcome): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    console.log(JSON.stringify(outcome, null, 2));
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    send(outcome, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

void main();
