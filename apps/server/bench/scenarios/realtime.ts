import type {
  ClientToServerEvents,
  ServerToClientEvents,
  WorkflowEvent,
  WorkflowEventMessage,
  WorkflowRun,
} from '@deploybot/shared';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { type App, createApp } from '../../src/app';
import type { Db } from '../../src/db/db';
import { DEFAULT_FLEET_OPTIONS } from '../../src/fleet/fleet';
import type { BenchConfig } from '../config';
import { wallClockMs, watchEventLoop } from '../event-loop';
import type { RealtimePass, RealtimeResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { percentiles } from '../stats';
import { eventKey, TimedStore } from '../timed-store';
import { CHAIN_WORKFLOW, chainWorkflow } from '../workflows';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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
  let client: ClientSocket | undefined;
  try {
    const port = await app.listen(0, '127.0.0.1');
    client = await subscribedClient(port, await adminToken(app), (event) => {
      rig.receivedAt.set(eventKey(event.runId, event.seq), wallClockMs());
      observeStatus(rig.tracker, event);
    });
    await runPass(rig, Math.min(cfg.warmupRuns, cfg.realtimeRuns), cfg.realtimeInFlight[0] ?? 1);
    const passes: RealtimePass[] = [];
    for (const inFlight of cfg.realtimeInFlight) passes.push(await runPass(rig, cfg.realtimeRuns, inFlight));
    return { scenario: 'realtime', runs: cfg.realtimeRuns, passes };
  } finally {
    client?.disconnect();
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

/** A client subscribed to every run's transitions. WebSocket only: a browser is on it after the first second. */
async function subscribedClient(
  port: number,
  token: string,
  onEvent: (event: WorkflowEventMessage) => void,
): Promise<ClientSocket> {
  const client: ClientSocket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    reconnection: false,
    auth: { token },
  });
  client.on('workflow:event', onEvent);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  const ack = await client.emitWithAck('workflows:subscribe', {});
  if ('error' in ack && ack.error) throw new Error(`workflows:subscribe refused: ${ack.error.message}`);
  return client;
}

/**
 * Feeds a tracker from what a client receives: the run's status when the message carries the run or a patch
 * that sets it (a client gets what changed, not the run). The tracker reads nothing of the run but its status.
 */
export function observeStatus(tracker: RunTracker, message: WorkflowEventMessage): void {
  const status = message.run?.status ?? message.patch?.set?.status;
  if (status) tracker.observe({ ...message, run: { status } as WorkflowRun } satisfies WorkflowEvent);
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
