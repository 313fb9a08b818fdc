import type {
  Ack,
  ClientToServerEvents,
  ServerToClientEvents,
  WorkflowEvent,
  WorkflowRun,
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

/** Every `workflow:event` a socket receives, in arrival order, with a way to wait for one. */
export class EventLog {
  readonly events: WorkflowEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(socket: ClientSocket) {
    socket.on('workflow:event', (event) => {
      this.events.push(event);
      for (const w of this.waiters) w();
    });
  }

  of(runId: string): WorkflowEvent[] {
    return this.events.filter((e) => e.runId === runId);
  }

  async waitFor(
    predicate: (e: WorkflowEvent) => boolean,
    what: string,
    timeoutMs = 5000,
  ): Promise<WorkflowEvent> {
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
  return timed.emitWithAck(event, payload);
}

/** Unwraps an ack or throws with its error. */
export function dataOf<T>(ack: Ack<T>): T {
  if ('error' in ack) throw new Error(`ack error ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/**
 * A client's copy of one run, kept by the documented rule: buffer events until the subscribe ack, drop
 * seq ≤ the snapshot's, apply seq = last + 1, and treat any other jump as a gap (refetch over REST).
 */
export class RunMirror {
  run: WorkflowRun | null = null;
  /** Events applied on top of a snapshot, in order. */
  readonly applied: WorkflowEvent[] = [];
  /** Events dropped because the snapshot already contained them. */
  readonly dropped: WorkflowEvent[] = [];
  /** Jumps the mirror could not explain: `{ had, got }`. */
  readonly gaps: { had: number; got: number }[] = [];
  readonly snapshots: number[] = [];
  private buffer: WorkflowEvent[] | null = null;
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

  private apply(event: WorkflowEvent): void {
    if (!this.run) return;
    if (event.seq <= this.run.seq) {
      this.dropped.push(event);
      return;
    }
    if (event.seq !== this.run.seq + 1) {
      this.gaps.push({ had: this.run.seq, got: event.seq });
      void this.refetch(this.runId).then((run) => {
        if (!this.run || run.seq > this.run.seq) this.run = run;
        this.notify();
      });
      return;
    }
    this.run = event.run;
    this.applied.push(event);
    this.notify();
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
