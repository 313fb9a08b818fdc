import type { UserDto, WorkflowEvent } from '@deploybot/shared';
import { AuditLog } from '../../src/auth/audit-log';
import { DecisionPolicy } from '../../src/auth/decision-policy';
import { GuardedWorkflows } from '../../src/auth/guarded-workflows';
import { UsersStore } from '../../src/auth/users.store';
import type { Db } from '../../src/db/db';
import { SqlWorkflowStore } from '../../src/db/workflow-store';
import { WorkflowEngine } from '../../src/engine/engine';
import { systemClock } from '../../src/engine/ports';
import type { WorkflowDefinition } from '../../src/engine/types';
import type { BenchConfig } from '../config';
import { failFast } from '../fail-fast';
import { measured } from '../measured';
import { inPool, isTerminal, RunTracker } from '../run-tracker';
import { type Percentiles, percentiles } from '../stats';

/**
 * What both approvals scenarios report: DeployBot's engine, and DBOS Transact doing the same work. Not yet in
 * results.ts's ScenarioResult union (another file), hence the casts where the runners and the report meet it.
 */
export interface ApprovalsResult {
  scenario: 'approvals' | 'approvals-dbos';
  /** What did the work, with its version where it is someone else's. */
  engine: string;
  /** Runs (workflows) parked at the gate, then approved. */
  runs: number;
  /** Approvals whose run had not finished yet, at most, at any time. */
  inFlight: number;
  /** Starting every run until all of them were parked at the gate. */
  parkSeconds: number;
  /** Runs the database held as waiting for the approval before the first was sent. */
  parkedInDb: number;
  /** From the first approval sent to the last run done. */
  seconds: number;
  approvalsPerSec: number;
  /** From calling approve (send) to the run's completion being committed and announced. */
  latencyMs: Percentiles;
  /** From calling approve (send) to that call returning: the decision recorded, the run not yet done. */
  approveCallMs: Percentiles;
  /** Final status of each measured run. */
  statuses: Record<string, number>;
  /** This process's CPU over the approvals, % of one core (on PGlite the database's work is in it too). */
  cpuPercent: number;
  longestStallMs: number;
}

/** Per approval, ms: approve called → run done, and approve called → the call returned. */
export interface ApprovalTimes {
  latencies: number[];
  calls: number[];
}

export const APPROVAL_WORKFLOW = 'bench_approval';
const APPROVAL_GATE = 'approve';

/** The person whose approvals the benchmark sends: not the starter, so the four-eyes rule lets them through. */
const APPROVER: UserDto = {
  id: 'bench-approver',
  username: 'approver',
  role: 'approver',
  createdAt: new Date(0).toISOString(),
  disabled: false,
};

/** A step, a gate, a step; every handler returns at once, so what is measured is the engine and the store. */
export function approvalWorkflow(): WorkflowDefinition {
  const instant = (summary: string) => async () => ({ summary, data: { ok: true, note: 'bench' } });
  return {
    name: APPROVAL_WORKFLOW,
    title: 'Benchmark approval',
    description: 'a step, a gate that waits for a person, a step',
    version: 1,
    inputs: [],
    steps: [
      {
        id: 'before',
        title: 'Before',
        description: 'returns at once',
        kind: 'automatic',
        run: instant('ready'),
      },
      {
        id: APPROVAL_GATE,
        title: 'Approve',
        description: 'waits for a person',
        kind: 'gate',
        plan: instant('would change 1 thing'),
        apply: instant('applied'),
      },
      {
        id: 'after',
        title: 'After',
        description: 'returns at once',
        kind: 'automatic',
        run: instant('done'),
      },
    ],
  };
}

/**
 * Issue 16's approvals end to end on DeployBot's engine: `approvalRuns` runs parked at a gate, then approved
 * through GuardedWorkflows.decide — what `POST /v1/workflows/:id/approve` calls: the decision policy, the
 * engine's decide, the audit record — `approvalsInFlight` at a time, each slot free again once its run is done.
 */
export async function approvals(db: Db, cfg: BenchConfig): Promise<ApprovalsResult> {
  const settled = new RunTracker((run) => run.status !== 'running');
  const done = new RunTracker();
  const doneAt = new Map<string, number>();
  const { onError, failed } = failFast();
  const engine = new WorkflowEngine({
    store: new SqlWorkflowStore(db),
    definitions: [approvalWorkflow()],
    onEvent: (event: WorkflowEvent) => {
      if (isTerminal(event.run)) doneAt.set(event.runId, performance.now());
      settled.observe(event);
      done.observe(event);
    },
    onError,
  });
  const workflows = new GuardedWorkflows(
    engine,
    new DecisionPolicy({ fourEyes: true, approverRoles: {} }),
    new AuditLog(db, systemClock),
    new UsersStore(db),
  );
  const park = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    await Promise.race([
      inPool(count, cfg.approvalsInFlight, async () => {
        const run = await workflows.start(APPROVAL_WORKFLOW, {}, 'bench');
        ids.push(run.id);
        await settled.wait(run.id);
      }),
      failed,
    ]);
    return ids;
  };
  const approveAll = async (ids: string[]): Promise<ApprovalTimes> => {
    const times: ApprovalTimes = { latencies: [], calls: [] };
    await Promise.race([
      inPool(ids.length, cfg.approvalsInFlight, async (i) => {
        const id = ids[i]!;
        const sent = performance.now();
        await workflows.decide(
          id,
          { approved: true, by: APPROVER.username, stepId: APPROVAL_GATE },
          APPROVER,
        );
        times.calls.push(performance.now() - sent);
        await done.wait(id);
        times.latencies.push(doneAt.get(id)! - sent);
      }),
      failed,
    ]);
    return times;
  };

  try {
    await approveAll(await park(cfg.warmupRuns));
    await engine.idle();
    done.clear();
    doneAt.clear();

    const parkStarted = performance.now();
    const ids = await park(cfg.approvalRuns);
    await engine.idle();
    const parkSeconds = (performance.now() - parkStarted) / 1000;
    const parkedInDb = await countAwaitingApproval(db);

    const { value: times, seconds, cpuPercent, longestStallMs } = await measured(() => approveAll(ids));
    return {
      scenario: 'approvals',
      engine: 'DeployBot',
      runs: cfg.approvalRuns,
      inFlight: cfg.approvalsInFlight,
      parkSeconds,
      parkedInDb,
      seconds,
      approvalsPerSec: cfg.approvalRuns / seconds,
      latencyMs: percentiles(times.latencies),
      approveCallMs: percentiles(times.calls),
      statuses: done.statusCounts(),
      cpuPercent,
      longestStallMs,
    };
  } finally {
    await engine.stop();
  }
}

/** Runs whose gate is waiting for a person: every measured run should be, before the first approval. */
async function countAwaitingApproval(db: Db): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM workflow_runs WHERE status = 'waiting'`,
  );
  return rows[0]?.n ?? 0;
}
