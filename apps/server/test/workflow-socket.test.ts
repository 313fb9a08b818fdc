import {
  applyRunPatch,
  errorBodySchema,
  type WorkflowEventMessage,
  type WorkflowRun,
} from '@deploybot/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MISSING_RUN } from './helpers/bad-requests';
import {
  type ApiClient,
  apiClient,
  expectGapFree,
  isStatus,
  isWaitingAt,
  WORKFLOWS,
} from './helpers/http-client';
import {
  ask,
  type ClientSocket,
  connectClient,
  dataOf,
  EventLog,
  RunMirror,
  type SeenEvent,
} from './helpers/socket-client';
import { startTestServer, type TestServer } from './helpers/test-server';

let server: TestServer;
let api: ApiClient;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});

afterAll(async () => {
  await server?.close();
});

async function client(): Promise<ClientSocket> {
  const socket = await connectClient(server.url);
  sockets.push(socket);
  return socket;
}

const label = (e: WorkflowEventMessage) => `${e.type}${e.stepId ? `@${e.stepId}` : ''}`;
const approve = (id: string, body: Record<string, unknown> = { approved: true }) =>
  api.post<WorkflowRun>(`${WORKFLOWS}/${id}/approve`, body);

/** The client rebuilt, from each event, the run as it stands after it, stamped with the same seq. */
function expectConsistent(events: SeenEvent[], runId: string): void {
  for (const e of events) {
    expect(e.runId).toBe(runId);
    expect(e.run.id).toBe(runId);
    expect(e.run.seq).toBe(e.seq);
    expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  }
}

describe('workflow:subscribe', () => {
  it('acks with the snapshot, then pushes every transition as workflow:event with gap-free seq', async () => {
    const started = await api.start('two_gates');
    const waiting = await api.waitForRun(started.id, isWaitingAt('first_gate'), 'the first gate');
    const socket = await client();
    const log = new EventLog(socket);

    const ack = await ask(socket, 'workflow:subscribe', { runId: started.id });
    expect(ack).toEqual({ data: { run: waiting } });

    const res = await approve(started.id, { approved: true, note: 'first', step_id: 'first_gate' });
    expect(res.status, res.text).toBe(200);
    await log.waitFor(
      (e) => e.type === 'step.awaiting_approval' && e.stepId === 'second_gate',
      'second gate',
    );
    expect(log.of(started.id).map(label)).toEqual([
      'step.approved@first_gate',
      'step.completed@first_gate',
      'step.started@middle',
      'step.completed@middle',
      'step.started@second_gate',
      'step.awaiting_approval@second_gate',
    ]);
    expect(log.of(started.id).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6].map((n) => waiting.seq + n));
    expect(log.of(started.id)[0]!.run.steps[0]!.decisions).toMatchObject([
      { decision: 'approved', note: 'first' },
    ]);

    await approve(started.id, { approved: true, step_id: 'second_gate' });
    const done = await log.waitFor((e) => e.type === 'run.completed', 'run.completed');
    expect(done.run.status).toBe('completed');
    expect(done.run.progress).toBe(100);
    const received = log.of(started.id);
    expectConsistent(received, started.id);
    expect(received.map((e) => e.seq)).toEqual(received.map((_, i) => waiting.seq + i + 1));
    expect(done.run).toEqual(await api.run(started.id));
    // The socket saw exactly what the audit trail holds after the snapshot.
    expect(received.map((e) => [e.seq, e.type, e.stepId])).toEqual(
      (await api.events(started.id, waiting.seq)).map((e) => [e.seq, e.type, e.stepId]),
    );
  });

  it('a client subscribing while the run moves converges on the final state by the buffer/drop rule', async () => {
    const socket = await client();
    const started = await api.start('auto_chain', { who: 'racer' });
    const mirror = new RunMirror(socket, started.id, api.run);
    await mirror.subscribe();
    const final = await mirror.until(isStatus('completed', 'failed', 'cancelled'), 'completion');
    expect(final.status).toBe('completed');
    expect(mirror.gaps).toEqual([]);
    expect(final).toEqual(await api.run(started.id));
    const seqs = mirror.applied.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => mirror.snapshots[0]! + i + 1));
    expect(final.seq).toBe(6);
  });

  it('after workflow:unsubscribe the socket gets no more events of that run', async () => {
    const quitter = await client();
    const stayer = await client();
    const quitterLog = new EventLog(quitter);
    const stayerLog = new EventLog(stayer);
    const started = await api.start('two_gates');
    await api.waitForRun(started.id, isWaitingAt('first_gate'), 'the first gate');
    dataOf(await ask(quitter, 'workflow:subscribe', { runId: started.id }));
    dataOf(await ask(stayer, 'workflow:subscribe', { runId: started.id }));
    expect(await ask(quitter, 'workflow:unsubscribe', { runId: started.id })).toEqual({
      data: { ok: true },
    });
    await approve(started.id);
    await stayerLog.waitFor((e) => e.type === 'step.awaiting_approval', 'the second gate');
    await api.post(`${WORKFLOWS}/${started.id}/cancel`, {});
    await stayerLog.waitFor((e) => e.type === 'run.cancelled', 'run.cancelled');
    expect(stayerLog.of(started.id).length).toBe(7);
    expect(quitterLog.events).toEqual([]);
  });

  it('two clients on the same run both see the approval event, identical', async () => {
    const started = await api.start('gated_change', { service: 'api' });
    await api.waitForRun(started.id, isWaitingAt('review'), 'the review gate');
    const [a, b] = [await client(), await client()];
    const [logA, logB] = [new EventLog(a), new EventLog(b)];
    const snapA = dataOf(await ask(a, 'workflow:subscribe', { runId: started.id }));
    const snapB = dataOf(await ask(b, 'workflow:subscribe', { runId: started.id }));
    expect(snapA).toEqual(snapB);

    await approve(started.id, { approved: true, user_input: 'blue', note: 'both should see this' });
    const isApproval = (e: SeenEvent) => e.type === 'step.approved';
    const [seenA, seenB] = await Promise.all([
      logA.waitFor(isApproval, 'approval on A'),
      logB.waitFor(isApproval, 'approval on B'),
    ]);
    expect(seenA).toEqual(seenB);
    expect(seenA).toMatchObject({ seq: snapA.run.seq + 1, stepId: 'review', runId: started.id });
    expect(seenA.run.steps.find((s) => s.id === 'review')!.decisions).toEqual([
      { by: 'admin', decision: 'approved', note: 'both should see this', input: 'blue', at: seenA.at },
    ]);
    await Promise.all([
      logA.waitFor((e) => e.type === 'run.completed', 'completion on A'),
      logB.waitFor((e) => e.type === 'run.completed', 'completion on B'),
    ]);
    expect(logA.of(started.id).map((e) => e.seq)).toEqual(logB.of(started.id).map((e) => e.seq));
  });
});

describe('workflows:subscribe', () => {
  it('acks with the active runs and then receives every run’s events, each once, gap-free per run', async () => {
    const parked = await api.start('two_gates');
    await api.waitForRun(parked.id, isWaitingAt('first_gate'), 'the first gate');
    const finished = await api.start('auto_chain', { who: 'old' });
    await api.waitForRun(finished.id, isStatus('completed'), 'completion');

    const socket = await client();
    const log = new EventLog(socket);
    const { runs } = dataOf(await ask(socket, 'workflows:subscribe', {}));
    expect(runs.map((r) => r.id)).toContain(parked.id);
    expect(runs.map((r) => r.id)).not.toContain(finished.id);
    expect(runs.every((r) => r.status === 'running' || r.status === 'waiting')).toBe(true);
    // Also in the run's own room: one emit must still reach this socket once.
    dataOf(await ask(socket, 'workflow:subscribe', { runId: parked.id }));

    const one = await api.start('auto_chain', { who: 'one' });
    const two = await api.start('ask_host');
    await approve(parked.id);
    await log.waitFor((e) => e.runId === one.id && e.type === 'run.completed', 'run one completing');
    await log.waitFor((e) => e.runId === two.id && e.type === 'step.awaiting_input', 'run two waiting');
    await log.waitFor((e) => e.runId === parked.id && e.type === 'step.awaiting_approval', 'the second gate');

    expectGapFree(log.of(one.id).map((e) => e.seq));
    expect(log.of(one.id).map(label)).toEqual([
      'run.started',
      'step.started@greet',
      'step.completed@greet',
      'step.started@count',
      'step.completed@count',
      'run.completed',
    ]);
    expectGapFree(log.of(two.id).map((e) => e.seq));
    expect(log.of(two.id).map(label)).toEqual([
      'run.started',
      'step.started@pick_host',
      'step.awaiting_input@pick_host',
    ]);
    const parkedSeqs = log.of(parked.id).map((e) => e.seq);
    expect(parkedSeqs).toEqual([4, 5, 6, 7, 8, 9]);
    for (const id of [one.id, two.id, parked.id]) expectConsistent(log.of(id), id);
    expect(log.of(finished.id)).toEqual([]);
  });
});

/** The raw `workflow:event` messages a socket receives, as sent. */
function rawMessages(socket: ClientSocket): WorkflowEventMessage[] {
  const messages: WorkflowEventMessage[] = [];
  socket.on('workflow:event', (m) => messages.push(m));
  return messages;
}

/** `run` with every patch after its seq applied in order, by the client's rule alone. */
function rebuilt(run: WorkflowRun, messages: WorkflowEventMessage[]): WorkflowRun {
  return messages
    .filter((m) => m.runId === run.id && m.seq > run.seq)
    .sort((a, b) => a.seq - b.seq)
    .reduce((held, m) => applyRunPatch(held, m, m.patch ?? null), run);
}

describe('workflow:event carries what changed', () => {
  it('after seq 1 a message carries the patch and no run; snapshot + patches rebuild exactly the stored run', async () => {
    const fromStart = await client();
    const fromMiddle = await client();
    const seenFromStart = rawMessages(fromStart);
    const seenFromMiddle = rawMessages(fromMiddle);
    const watching = new EventLog(fromStart);
    const following = new EventLog(fromMiddle);
    dataOf(await ask(fromStart, 'workflows:subscribe', {}));

    const started = await api.start('two_gates');
    await api.waitForRun(started.id, isWaitingAt('first_gate'), 'the first gate');
    const snapshot = dataOf(await ask(fromMiddle, 'workflow:subscribe', { runId: started.id })).run;
    await approve(started.id, { approved: true, note: 'first', step_id: 'first_gate' });
    await api.waitForRun(started.id, isWaitingAt('second_gate'), 'the second gate');
    await approve(started.id, { approved: true, step_id: 'second_gate' });
    const done = await watching.waitFor(
      (e) => e.runId === started.id && e.type === 'run.completed',
      'completion',
    );
    const stored = await api.run(started.id);
    expect(stored.seq).toBe(done.seq);

    const messages = seenFromStart.filter((m) => m.runId === started.id);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: stored.seq }, (_, i) => i + 1));
    const [first, ...later] = messages;
    expect(Object.keys(first!).sort()).toEqual(['at', 'run', 'runId', 'seq', 'stepId', 'type']);
    for (const m of later) {
      expect(Object.keys(m).sort(), `message seq ${m.seq}`).toEqual([
        'at',
        'patch',
        'runId',
        'seq',
        'stepId',
        'type',
      ]);
    }
    // A patch is what changed, so smaller than the run it changes.
    expect(JSON.stringify(later.at(-1)).length).toBeLessThan(JSON.stringify(stored).length);

    expect(rebuilt(first!.run!, messages)).toEqual(stored);
    await following.waitFor((e) => e.seq === stored.seq, 'completion on the client that subscribed mid-way');
    expect(rebuilt(snapshot, seenFromMiddle)).toEqual(stored);
    // The test's own log rebuilds the same way, from either start.
    expect(done.run).toEqual(stored);
    expect(following.runOf(started.id)).toEqual(stored);
    expect([...watching.mismatches, ...following.mismatches]).toEqual([]);
  });
});

describe('bad socket payloads get an ack with the one error shape', () => {
  const cases: { name: string; event: string; payload: unknown; code: string; path?: string }[] = [
    {
      name: 'subscribe without runId',
      event: 'workflow:subscribe',
      payload: {},
      code: 'validation_failed',
      path: 'runId',
    },
    {
      name: 'subscribe with a malformed runId',
      event: 'workflow:subscribe',
      payload: { runId: 'nope' },
      code: 'validation_failed',
      path: 'runId',
    },
    {
      name: 'subscribe with a numeric runId',
      event: 'workflow:subscribe',
      payload: { runId: 42 },
      code: 'validation_failed',
      path: 'runId',
    },
    {
      name: 'subscribe with an extra field',
      event: 'workflow:subscribe',
      payload: { runId: MISSING_RUN, all: true },
      code: 'validation_failed',
    },
    {
      name: 'subscribe with a string payload',
      event: 'workflow:subscribe',
      payload: 'abc',
      code: 'validation_failed',
    },
    {
      name: 'subscribe with a null payload',
      event: 'workflow:subscribe',
      payload: null,
      code: 'validation_failed',
    },
    {
      name: 'subscribe to an unknown run',
      event: 'workflow:subscribe',
      payload: { runId: MISSING_RUN },
      code: 'not_found',
    },
    {
      name: 'unsubscribe with a malformed runId',
      event: 'workflow:unsubscribe',
      payload: { runId: 5 },
      code: 'validation_failed',
      path: 'runId',
    },
    {
      name: 'subscribe to all with a filter it does not know',
      event: 'workflows:subscribe',
      payload: { state: 'all' },
      code: 'validation_failed',
    },
    {
      name: 'subscribe to all with an array',
      event: 'workflows:subscribe',
      payload: [1],
      code: 'validation_failed',
    },
  ];

  it.each(cases)('$name → $code', async ({ event, payload, code, path }) => {
    const socket = await client();
    // Untyped on purpose: these payloads break the contract.
    const raw = socket as unknown as {
      timeout(ms: number): { emitWithAck(ev: string, p: unknown): Promise<unknown> };
    };
    const ack = await raw.timeout(5000).emitWithAck(event, payload);
    const parsed = errorBodySchema.strict().safeParse(ack);
    expect(parsed.success, JSON.stringify(ack)).toBe(true);
    const error = (ack as { error: { code: string; message: string; details?: { path: string }[] } }).error;
    expect(error.code).toBe(code);
    expect(JSON.stringify(ack)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|"stack"/);
    if (path) expect(error.details?.map((d) => d.path)).toContain(path);
    // The connection survives and still answers.
    expect(socket.connected).toBe(true);
    const ok = await ask(socket, 'workflows:subscribe', {});
    expect('data' in ok).toBe(true);
  });

  it('a request without an ack callback neither crashes the server nor breaks the connection', async () => {
    const socket = await client();
    const raw = socket as unknown as { emit(ev: string, p: unknown): void };
    raw.emit('workflow:subscribe', { runId: 'nope' });
    raw.emit('workflow:subscribe', { runId: MISSING_RUN });
    raw.emit('workflows:subscribe', {});
    const started = await api.start('ask_host');
    const ack = await ask(socket, 'workflow:subscribe', { runId: started.id });
    expect(dataOf(ack).run.id).toBe(started.id);
    expect((await api.get('/health')).status).toBe(200);
  });
});

describe('reconnecting loses no events', () => {
  it('disconnect, the run moves on (approved over REST), reconnect and resubscribe: exact final state, no unexplained gap', async () => {
    const started = await api.start('two_gates');
    await api.waitForRun(started.id, isWaitingAt('first_gate'), 'the first gate');
    const socket = await client();
    const mirror = new RunMirror(socket, started.id, api.run);
    const first = await mirror.subscribe();

    socket.disconnect();
    expect(socket.connected).toBe(false);
    const approved = await approve(started.id, {
      approved: true,
      note: 'while you were away',
      step_id: 'first_gate',
    });
    expect(approved.status, approved.text).toBe(200);
    const moved = await api.waitForRun(started.id, isWaitingAt('second_gate'), 'the second gate');
    expect(mirror.run!.seq).toBe(first.seq); // nothing reached the disconnected client

    socket.connect();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const snapshot = await mirror.subscribe();
    expect(snapshot).toEqual(moved);
    // The jump from first.seq to snapshot.seq is explained by the snapshot; the trail holds what was missed.
    const missed = await api.events(started.id, first.seq);
    expect(missed.map((e) => e.seq)).toEqual(
      Array.from({ length: snapshot.seq - first.seq }, (_, i) => first.seq + i + 1),
    );

    await approve(started.id, { approved: true, step_id: 'second_gate' });
    const final = await mirror.until(isStatus('completed', 'failed', 'cancelled'), 'completion');
    expect(final.status).toBe('completed');
    expect(final).toEqual(await api.run(started.id));
    expect(mirror.gaps).toEqual([]);
    expect(mirror.applied.map((e) => e.seq)).toEqual(
      Array.from({ length: final.seq - snapshot.seq }, (_, i) => snapshot.seq + i + 1),
    );
    expect(final.steps.find((s) => s.id === 'first_gate')!.decisions[0]!.note).toBe('while you were away');
  });

  it('the transport drops, the client reconnects by itself and resubscribes on connect: exact final state', async () => {
    const started = await api.start('two_gates');
    await api.waitForRun(started.id, isWaitingAt('first_gate'), 'the first gate');
    const socket = await client();
    // Long enough for the run to move on before the client is back.
    socket.io.reconnectionDelayMax(1000);
    socket.io.reconnectionDelay(400);
    socket.io.randomizationFactor(0);
    const mirror = new RunMirror(socket, started.id, api.run);
    const first = await mirror.subscribe();
    let reconnects = 0;
    const resubscribed: Promise<WorkflowRun>[] = [];
    socket.on('connect', () => {
      reconnects++;
      resubscribed.push(mirror.subscribe());
    });
    const dropped = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

    // The server side of the connection goes away (as when a proxy or the network drops it).
    const serverSide = server.app.io.of('/').sockets.get(socket.id!);
    expect(serverSide).toBeDefined();
    serverSide!.conn.close();
    expect(await dropped).toBe('transport close');
    const approved = await approve(started.id, { approved: true, step_id: 'first_gate' });
    expect(approved.status, approved.text).toBe(200);
    const moved = await api.waitForRun(started.id, isWaitingAt('second_gate'), 'the second gate');
    expect(mirror.run!.seq).toBe(first.seq);

    await mirror.until((r) => r.seq >= moved.seq, 'the resubscription');
    expect(reconnects).toBe(1);
    expect(await resubscribed[0]).toEqual(moved);

    await approve(started.id, { approved: true, step_id: 'second_gate' });
    const final = await mirror.until(isStatus('completed', 'failed', 'cancelled'), 'completion');
    expect(final).toEqual(await api.run(started.id));
    expect(final.status).toBe('completed');
    expect(mirror.gaps).toEqual([]);
    expect(mirror.snapshots).toEqual([first.seq, moved.seq]);
  });
});
