import {
  type Ack,
  applyRunPatch,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type WorkflowEventMessage,
  type WorkflowRun,
} from '@deploybot/shared';
import { io, type Socket } from 'socket.io-client';
import { TEST_ADMIN_TOKEN } from '../../src/testing/test-security';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A real Socket.IO client on its own connection (websocket only, no multiplexing between clients). */
export async function connectClient(url: string, token: string = TEST_ADMIN_TOKEN): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/**
 * One `workflow:event` as a client saw it: the message's fields, the raw `message`, and the `run` after it as the
 * client rebuilt it. Reading `run` throws when the client could not rebuild it (it never held the run at
 * `seq - 1`, e.g. a message from before the snapshot it subscribed with).
 */
export interface SeenEvent extends WorkflowEventMessage {
  readonly message: WorkflowEventMessage;
  readonly run: WorkflowRun;
}

/** A seen event, with its run unknown until the log rebuilds it. */
function seenEvent(message: WorkflowEventMessage): SeenEvent {
  const seen = { ...message, message } as SeenEvent;
  delete (seen as { run?: WorkflowRun }).run;
  // Not enumerable until known, so comparing two logs' events compares what both clients could know.
  Object.defineProperty(seen, 'run', {
    configurable: true,
    enumerable: false,
    get() {
      throw new Error(
        `the run after ${message.type} (run ${message.runId} seq ${message.seq}) was not rebuilt`,
      );
    },
  });
  return seen;
}

function knowRun(seen: SeenEvent, run: WorkflowRun): void {
  Object.defineProperty(seen, 'run', { value: run, enumerable: true, configurable: true });
}

/** Whether the run after `seen` is known (see SeenEvent). */
export function hasRun(seen: SeenEvent): boolean {
  return Object.getOwnPropertyDescriptor(seen, 'run')?.enumerable === true;
}

/** Subscribe acks a socket got through `ask`, for the logs that rebuild runs from them. */
const snapshotListeners = new WeakMap<ClientSocket, Set<(runs: WorkflowRun[]) => void>>();

function onSnapshots(socket: ClientSocket, listener: (runs: WorkflowRun[]) => void): void {
  const listeners = snapshotListeners.get(socket) ?? new Set();
  listeners.add(listener);
  snapshotListeners.set(socket, listeners);
}

function runsOfAck(event: string, ack: unknown): WorkflowRun[] {
  if (typeof ack !== 'object' || ack === null || !('data' in ack)) return [];
  const data = (ack as { data: { run?: WorkflowRun; runs?: WorkflowRun[] } }).data;
  if (event === 'workflow:subscribe' && data.run) return [data.run];
  if (event === 'workflows:subscribe' && data.runs) return data.runs;
  return [];
}

/**
 * Every `workflow:event` a socket receives, in arrival order, with a way to wait for one. It rebuilds each run
 * as a client does: from a message carrying the whole run (a run's first), the snapshots of the socket's
 * `workflow:subscribe` / `workflows:subscribe` acks (through `ask`) or `adopt`, then each patch in seq order.
 */
export class EventLog {
  readonly events: SeenEvent[] = [];
  /** Patches that did not fit the run held at `seq - 1`: `{ runId, seq, error }`. */
  readonly mismatches: { runId: string; seq: number; error: string }[] = [];
  private readonly held = new Map<string, WorkflowRun>();
  /** Per run, events whose run is not known yet, waiting for the run at their `seq - 1`. */
  private readonly unbuilt = new Map<string, SeenEvent[]>();
  private readonly waiters = new Set<() => void>();

  constructor(socket: ClientSocket) {
    socket.on('workflow:event', (message) => {
      const seen = seenEvent(message);
      this.events.push(seen);
      if (message.run) this.adopt(message.run);
      else this.wait(seen);
      for (const w of this.waiters) w();
    });
    onSnapshots(socket, (runs) => {
      for (const run of runs) this.adopt(run);
    });
  }

  /** A run as read elsewhere (an ack, REST): patches after it apply on top of it. */
  adopt(run: WorkflowRun): void {
    for (const seen of this.events) {
      if (seen.runId === run.id && seen.seq === run.seq && !hasRun(seen)) knowRun(seen, run);
    }
    const held = this.held.get(run.id);
    if (!held || held.seq < run.seq) this.held.set(run.id, run);
    this.rebuild(run.id);
  }

  /** The newest state of a run this log could rebuild. */
  runOf(runId: string): WorkflowRun | undefined {
    return this.held.get(runId);
  }

  private wait(seen: SeenEvent): void {
    const list = this.unbuilt.get(seen.runId) ?? [];
    list.push(seen);
    list.sort((a, b) => a.seq - b.seq);
    this.unbuilt.set(seen.runId, list);
    this.rebuild(seen.runId);
  }

  /** Applies the waiting patches that follow the held run, in seq order; forgets those it already contains. */
  private rebuild(runId: string): void {
    const list = this.unbuilt.get(runId);
    let run = this.held.get(runId);
    if (!list || !run) return;
    while (list.length > 0 && list[0]!.seq <= run.seq + 1) {
      const seen = list.shift()!;
      if (seen.seq <= run.seq) continue;
      try {
        run = applyRunPatch(run, seen, seen.patch ?? null);
      } catch (err) {
        this.mismatches.push({ runId, seq: seen.seq, error: (err as Error).message });
        break;
      }
      knowRun(seen, run);
      this.held.set(runId, run);
    }
  }

  of(runId: string): SeenEvent[] {
    return this.events.filter((e) => e.runId === runId);
  }

  async waitFor(predicate: (e: SeenEvent) => boolean, what: string, timeoutMs = 5000): Promise<SeenEvent> {
    const found = this.events.find(predicate);
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const last = this.events.at(-1);
        reject(new Error(`timed out waiting for ${what}; last event ${last?.type} seq ${last?.seq}`));
      }, timeoutMs);
      const check = () => {
        const hit = this.events.find(predicate);
        if (!hit) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(hit);
      };
      this.waiters.add(check);
    });
  }
}

type Requests = ClientToServerEvents;
type AckOf<E extends keyof Requests> = Parameters<Parameters<Requests[E]>[1]>[0];

/** Emits a request and resolves with its ack (rejects if none comes within `timeoutMs`). */
export function ask<E extends keyof Requests>(
  socket: ClientSocket,
  event: E,
  payload: Parameters<Requests[E]>[0],
  timeoutMs = 5000,
): Promise<AckOf<E>> {
  const timed = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(ev: string, payload: unknown): Promise<AckOf<E>>;
  };
  return timed.emitWithAck(event, payload).then((ack) => {
    const runs = runsOfAck(event, ack);
    if (runs.length > 0) for (const listener of snapshotListeners.get(socket) ?? []) listener(runs);
    return ack;
  });
}

/** Unwraps an ack or throws with its error. */
export function dataOf<T>(ack: Ack<T>): T {
  if ('error' in ack) throw new Error(`ack error ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/**
 * A client's copy of one run, kept by the documented rule: buffer events until the subscribe ack, drop
 * seq ≤ the snapshot's, take a whole run, apply the patch of seq = last + 1, and treat anything else (a jump, a
 * patch that does not fit) as a gap (refetch over REST).
 */
export class RunMirror {
  run: WorkflowRun | null = null;
  /** Events applied on top of a snapshot, in order. */
  readonly applied: WorkflowEventMessage[] = [];
  /** Events dropped because the snapshot already contained them. */
  readonly dropped: WorkflowEventMessage[] = [];
  /** Jumps the mirror could not explain: `{ had, got }`. */
  readonly gaps: { had: number; got: number }[] = [];
  readonly snapshots: number[] = [];
  private buffer: WorkflowEventMessage[] | null = null;
  private readonly changed = new Set<() => void>();

  constructor(
    private readonly socket: ClientSocket,
    readonly runId: string,
    private readonly refetch: (runId: string) => Promise<WorkflowRun>,
  ) {
    socket.on('workflow:event', (event) => {
      if (event.runId !== this.runId) return;
      if (this.buffer) this.buffer.push(event);
      else this.apply(event);
    });
  }

  /** (Re)subscribes: events arriving before the ack are buffered, then replayed on top of the snapshot. */
  async subscribe(): Promise<WorkflowRun> {
    this.buffer = [];
    const ack = await ask(this.socket, 'workflow:subscribe', { runId: this.runId });
    const { run } = dataOf(ack);
    const buffered = this.buffer;
    this.buffer = null;
    this.run = run;
    this.snapshots.push(run.seq);
    for (const e of buffered) this.apply(e);
    this.notify();
    return run;
  }

  private apply(event: WorkflowEventMessage): void {
    if (!this.run) return;
    if (event.seq <= this.run.seq) {
      this.dropped.push(event);
      return;
    }
    const next = this.runAfter(this.run, event);
    if (!next) {
      this.gaps.push({ had: this.run.seq, got: event.seq });
      void this.refetch(this.runId).then((run) => {
        if (!this.run || run.seq > this.run.seq) this.run = run;
        this.notify();
      });
      return;
    }
    this.run = next;
    this.applied.push(event);
    this.notify();
  }

  /** The run after `event`: its whole run, or its patch on the run at seq - 1; null for anything else. */
  private runAfter(run: WorkflowRun, event: WorkflowEventMessage): WorkflowRun | null {
    if (event.run) return event.run;
    if (event.patch === undefined || event.seq !== run.seq + 1) return null;
    try {
      return applyRunPatch(run, event, event.patch);
    } catch {
      return null;
    }
  }

  private notify(): void {
    for (const c of this.changed) c();
  }

  async until(
    predicate: (run: WorkflowRun) => boolean,
    what: string,
    timeoutMs = 5000,
  ): Promise<WorkflowRun> {
    if (this.run && predicate(this.run)) return this.run;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.changed.delete(check);
        reject(
          new Error(
            `mirror timed out waiting for ${what}; at seq ${this.run?.seq} status ${this.run?.status}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (!this.run || !predicate(this.run)) return;
        clearTimeout(timer);
        this.changed.delete(check);
        resolve(this.run);
      };
      this.changed.add(check);
    });
  }
}
