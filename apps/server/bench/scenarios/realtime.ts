import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { WorkflowEventMessage, WorkflowRun } from '@deploybot/shared';
import pino from 'pino';
import { type App, createApp } from '../../src/app';
import type { Db } from '../../src/db/db';
import { DEFAULT_FLEET_OPTIONS } from '../../src/fleet/fleet';
import type { BenchConfig } from '../config';
import { watchEventLoop } from '../event-loop';
import type { RealtimePass, RealtimeResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { percentiles } from '../stats';
import { eventKey, TimedStore } from '../timed-store';
import { CHAIN_WORKFLOW, chainWorkflow } from '../workflows';

/** Relative to apps/server, where `pnpm bench` runs. */
const CLIENT_ENTRY = 'bench/realtime-client.ts';

/** What one pass needs: the app, the decorated store, and what the client has seen. */
interface Rig {
  app: App;
  store: TimedStore;
  tracker: RunTracker;
  receivedAt: Map<string, number>;
}

/**
 * (4): the real controller (createApp: engine, fleet, Express, Socket.IO) on 127.0.0.1 and one Socket.IO client
 * subscribed to every run. Latency runs from the store's commit resolving to the client's handler running, both
 * stamped with wallClockMs(). One pass per load level, after an unmeasured warm-up.
 */
export async function realtime(db: Db, cfg: BenchConfig): Promise<RealtimeResult> {
  let timed: TimedStore | undefined;
  const app = createApp({
    wrapStore: (store) => {
      timed = new TimedStore(store, { recordCommitTimes: true });
      return timed;
    },
    db,
    logger: pino({ level: 'silent' }),
    workflows: () => ({ kinds: [], documents: [], definitions: [chainWorkflow(cfg.steps)] }),
    // The fleet is built but idle: no agent connects, and the chain's steps never ask it for anything.
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: 'http://127.0.0.1' },
    security: { corsOrigins: [], loginLimitPerMinute: 10, fourEyes: false, approverRoles: {} },
    version: 'bench',
  });
  const rig: Rig = {
    app,
    store: timed!,
    tracker: new RunTracker(),
    receivedAt: new Map(),
  };
  let client: ChildProcess | undefined;
  try {
    const port = await app.listen(0, '127.0.0.1');
    client = await clientProcess(port, await adminToken(app), (runId, seq, receivedAt, status) => {
      rig.receivedAt.set(eventKey(runId, seq), receivedAt);
      if (status) rig.tracker.settle(runId, status);
    });
    await runPass(rig, Math.min(cfg.warmupRuns, cfg.realtimeRuns), cfg.realtimeInFlight[0] ?? 1);
    const passes: RealtimePass[] = [];
    for (const inFlight of cfg.realtimeInFlight) passes.push(await runPass(rig, cfg.realtimeRuns, inFlight));
    return { scenario: 'realtime', runs: cfg.realtimeRuns, passes };
  } finally {
    client?.kill();
    await app.close();
  }
}

async function runPass(rig: Rig, runs: number, inFlight: number): Promise<RealtimePass> {
  rig.store.reset();
  rig.receivedAt.clear();
  rig.tracker.clear();
  const loop = watchEventLoop();
  // A run is done once the client has seen its last event, so by then every event it committed is in.
  await inPool(runs, inFlight, async () => {
    const run = await rig.app.engine.start(CHAIN_WORKFLOW, {}, 'bench');
    await rig.tracker.wait(run.id);
  });
  return {
    inFlight,
    committed: rig.store.committedAt.size,
    received: rig.receivedAt.size,
    latencyMs: percentiles(latencies(rig.store.committedAt, rig.receivedAt)),
    longestStallMs: loop.stop().longestStallMs,
  };
}

/** Sockets authenticate like REST; on the fresh database the bootstrap admin's API token is the way in. */
async function adminToken(app: App): Promise<string> {
  const admin = await app.auth.bootstrap();
  if (!admin) throw new Error('the benchmark database already has users; it must start empty');
  return admin.token;
}

/**
 * The client in a process of its own (bench/realtime-client.ts), subscribed to every run's transitions over
 * WebSocket; resolves once it is subscribed. Each event it reports carries the time it arrived there.
 */
function clientProcess(
  port: number,
  token: string,
  onEvent: (runId: string, seq: number, receivedAt: number, status: WorkflowRun['status'] | null) => void,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...process.execArgv, CLIENT_ENTRY, String(port), token], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`the realtime client exited (${code}) before it subscribed`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        child.removeAllListeners('exit');
        resolve(child);
        return;
      }
      const [runId, seq, receivedAt, status] = JSON.parse(line) as [
        string,
        number,
        number,
        WorkflowRun['status'] | null,
      ];
      onEvent(runId, seq, receivedAt, status);
    });
  });
}

/**
 * Feeds a tracker from what a client receives: the run's status when the message carries the run or a patch
 * that sets it (a client gets what changed, not the run).
 */
export function observeStatus(tracker: RunTracker, message: WorkflowEventMessage): void {
  const status = message.run?.status ?? message.patch?.set?.status;
  if (status) tracker.settle(message.runId, status);
}

/** Commit-to-receive for every event the client got; an event it never got shows as received < committed. */
function latencies(committedAt: Map<string, number>, receivedAt: Map<string, number>): number[] {
  const out: number[] = [];
  for (const [key, committed] of committedAt) {
    const received = receivedAt.get(key);
    if (received !== undefined) out.push(received - committed);
  }
  return out;
}
