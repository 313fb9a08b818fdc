import { randomUUID } from 'node:crypto';
import type { Ack, ErrorBody, JobLogPage } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET_LIMITS } from '../../src/realtime/socket-guard';
import { call } from './support/http';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { askAny, connectWeb, disconnection, handshakeRefusal, type WebSocketClient } from './support/sockets';
import { createUser, type TestUser } from './support/users';

/**
 * Finding 2 of issue 10: a viewer stalled the controller with 5,000 `fleet:subscribe` and 5 MB log snapshots.
 * The controller here runs with the production socket limits.
 */

const LIMITS = DEFAULT_SOCKET_LIMITS;
const FLOOD = 5000;
const LOG_LINES = 3000;
/** A page's JSON may pass the budget by a line's escaping at most; these lines need none. */
const PAGE_CEILING = LIMITS.logPageBytes + 20_000;

let s: SecurityServer;
let jobId: string;
const sockets: WebSocketClient[] = [];

const connect = async (token: string) => {
  const socket = await connectWeb(s.url, { token });
  sockets.push(socket);
  return socket;
};

beforeAll(async () => {
  s = await startSecurityServer({ security: { sockets: LIMITS } });
  // A finished job with about 6 MB of stored log (3,000 lines of 2 KB), written as the controller stores them:
  // what is under test is how the log is read back, not how it got there.
  jobId = randomUUID();
  const [agentId, repositoryId] = [randomUUID(), randomUUID()];
  await s.db.query(
    `INSERT INTO agents (id, hostname, environment, registered_by, created_at)
     VALUES ($1, 'limits-agent', 'staging', 'admin', now())`,
    [agentId],
  );
  await s.db.query(
    `INSERT INTO repositories (id, name, url, default_ref, created_at)
     VALUES ($1, 'limits/app', 'https://git.example/limits/app.git', 'main', now())`,
    [repositoryId],
  );
  await s.db.query(
    `INSERT INTO jobs (id, repository_id, ref, sha, agent_id, status, timeout_sec, created_by, created_at)
     VALUES ($1, $2, 'main', repeat('a', 40), $3, 'success', 60, 'admin', now())`,
    [jobId, repositoryId, agentId],
  );
  await s.db.query(
    `INSERT INTO job_logs (job_id, seq, stream, line, at)
     SELECT $1, g, 'stdout', 'line ' || g || ' ' || repeat('x', 2000), now() FROM generate_series(0, $2::int - 1) g`,
    [jobId, LOG_LINES],
  );
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await s?.close();
});

/** Emits without waiting; resolves with every ack that came back by the time the socket closed or all came. */
function flood(
  socket: WebSocketClient,
  event: string,
  payload: unknown,
  count: number,
): Promise<Ack<unknown>[]> {
  const acks: Ack<unknown>[] = [];
  return new Promise((resolve) => {
    const done = () => resolve(acks);
    socket.once('disconnect', done);
    const raw = socket as unknown as { emit(ev: string, p: unknown, ack: (res: Ack<unknown>) => void): void };
    for (let i = 0; i < count; i++)
      raw.emit(event, payload, (res) => {
        acks.push(res);
        if (acks.length === count) done();
      });
  });
}

describe('socket request limits', () => {
  it('a flood of 5,000 fleet:subscribe is refused rate_limited, /health keeps answering, other users are served', async () => {
    const viewer = await createUser(s.url, 'flood-viewer', 'viewer');
    const socket = await connect(viewer.token);
    const acks = flood(socket, 'fleet:subscribe', {}, FLOOD);
    const health = await call<{ status: string }>(s.url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');

    const answered = await acks;
    const served = answered.filter((a) => 'data' in a);
    const refused = answered.filter((a): a is ErrorBody => 'error' in a);
    // At most the first burst reaches a handler (none may have answered before the socket was cut).
    expect(served.length).toBeLessThanOrEqual(LIMITS.burstPerSocket);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((a) => a.error.code))).toEqual(new Set(['rate_limited']));
    // It kept sending after hundreds of refusals: the controller cut it.
    await disconnection(socket, 10_000);
    expect(answered.length).toBeLessThan(FLOOD);

    expect((await call(s.url, 'GET', '/health')).status).toBe(200);
    const other = await connect(TEST_ADMIN_TOKEN);
    const ack = (await askAny(other, 'fleet:subscribe', {})) as Ack<unknown>;
    expect('data' in ack, JSON.stringify(ack)).toBe(true);
  });

  it('past 8 unanswered requests on one socket the rest are refused at once; answered ones free their slots', async () => {
    const viewer = await createUser(s.url, 'busy-viewer', 'viewer');
    const socket = await connect(viewer.token);
    // An open transaction holds the embedded database: the handlers wait on it, so their requests stay unanswered.
    let release!: () => void;
    const held = s.db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    const acks: Ack<unknown>[] = [];
    const raw = socket as unknown as { emit(ev: string, p: unknown, ack: (res: Ack<unknown>) => void): void };
    for (let i = 0; i < 12; i++) raw.emit('job:subscribe', { jobId }, (res) => acks.push(res));
    await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(12 - LIMITS.inFlightPerSocket);
    expect(acks.map((a) => ('error' in a ? a.error.code : 'data'))).toEqual(
      Array(12 - LIMITS.inFlightPerSocket).fill('rate_limited'),
    );
    release();
    await held;
    await expect.poll(() => acks.length, { timeout: 30_000 }).toBe(12);
    expect(acks.filter((a) => 'data' in a)).toHaveLength(LIMITS.inFlightPerSocket);
    const again = (await askAny(socket, 'fleet:subscribe', {}, 10_000)) as Ack<unknown>;
    expect('data' in again, JSON.stringify(again)).toBe(true);
  });

  it('the rate per socket and the rate per user: past the bursts requests are refused with a retry hint', async () => {
    // Unknown requests cost a token but hold no slot, so only the rates can refuse them.
    const one = await createUser(s.url, 'rate-one', 'viewer');
    const acks = await flood(await connect(one.token), 'no:such-event', {}, 500);
    const codes = acks.map((a) => ('error' in a ? a.error.code : 'data'));
    expect(codes.filter((c) => c === 'not_found').length).toBeLessThanOrEqual(LIMITS.burstPerSocket + 5);
    expect(codes).toContain('rate_limited');
    const refusal = acks.find((a) => 'error' in a && a.error.code === 'rate_limited') as ErrorBody;
    expect(refusal.error.details).toMatchObject({ retryAfterMs: expect.any(Number) });

    // Four sockets each within their own burst, together past the user's.
    const many = await createUser(s.url, 'rate-many', 'viewer');
    const per = Math.min(LIMITS.burstPerSocket - 5, Math.ceil((LIMITS.burstPerUser * 1.5) / 4));
    const own = await Promise.all(Array.from({ length: 4 }, () => connect(many.token)));
    const all = (await Promise.all(own.map((socket) => flood(socket, 'no:such-event', {}, per)))).flat();
    expect(all.filter((a) => 'error' in a && a.error.code === 'rate_limited').length).toBeGreaterThan(0);
    expect(all.filter((a) => 'error' in a && a.error.code === 'not_found').length).toBeLessThanOrEqual(
      LIMITS.burstPerUser + 10,
    );
  });

  it('an unknown request is answered not_found and holds no slot', async () => {
    const socket = await connect(TEST_ADMIN_TOKEN);
    for (let i = 0; i < LIMITS.inFlightPerSocket + 2; i++) {
      const ack = (await askAny(socket, 'no:such-event', {})) as ErrorBody;
      expect(ack.error.code).toBe('not_found');
    }
    expect('data' in ((await askAny(socket, 'fleet:subscribe', {})) as Ack<unknown>)).toBe(true);
  });

  it('the socket past the per-user limit is refused; the open ones keep working; a closed one frees a place', async () => {
    const user: TestUser = await createUser(s.url, 'many-tabs', 'viewer');
    const open: WebSocketClient[] = [];
    for (let i = 0; i < LIMITS.socketsPerUser; i++) open.push(await connect(user.token));
    expect(await handshakeRefusal(s.url, { token: user.token })).toBe('rate_limited');
    // Another user is not affected.
    expect(await handshakeRefusal(s.url, { token: TEST_ADMIN_TOKEN })).toBeNull();
    const ack = (await askAny(open[0]!, 'fleet:subscribe', {})) as Ack<unknown>;
    expect('data' in ack).toBe(true);

    open.pop()!.close();
    await expect
      .poll(() => handshakeRefusal(s.url, { token: user.token }), { timeout: 10_000, interval: 100 })
      .toBeNull();
  });
});

describe('job log snapshots', () => {
  it('job:subscribe on a 6 MB log answers the newest lines within the byte budget; job:logs pages back to the first', async () => {
    const viewer = await createUser(s.url, 'log-viewer', 'viewer');
    const socket = await connect(viewer.token);
    const first = (await askAny(socket, 'job:subscribe', { jobId }, 30_000)) as Ack<JobLogPage>;
    if (!('data' in first)) throw new Error(JSON.stringify(first));
    expect(JSON.stringify(first).length).toBeLessThanOrEqual(PAGE_CEILING);
    expect(first.data.lines.length).toBeLessThan(LOG_LINES);
    expect(first.data.lines.at(-1)?.seq).toBe(LOG_LINES - 1);
    expect(first.data.before).toBe(first.data.lines[0]?.seq);

    const pages: JobLogPage[] = [first.data];
    let before = first.data.before;
    while (before !== null) {
      const ack = (await askAny(socket, 'job:logs', { jobId, before }, 30_000)) as Ack<JobLogPage>;
      if (!('data' in ack)) throw new Error(JSON.stringify(ack));
      expect(JSON.stringify(ack).length).toBeLessThanOrEqual(PAGE_CEILING);
      expect(ack.data.lines.length).toBeGreaterThan(0);
      pages.unshift(ack.data);
      before = ack.data.before;
    }
    const seqs = pages.flatMap((p) => p.lines.map((l) => l.seq));
    expect(seqs).toEqual(Array.from({ length: LOG_LINES }, (_, i) => i));
  });

  it('job:logs takes a limit, and refuses bad payloads and unknown jobs in the one error shape', async () => {
    const socket = await connect(TEST_ADMIN_TOKEN);
    const page = (await askAny(socket, 'job:logs', { jobId, before: 10, limit: 3 })) as Ack<JobLogPage>;
    expect(page).toMatchObject({ data: { before: 7, lines: [{ seq: 7 }, { seq: 8 }, { seq: 9 }] } });
    const start = (await askAny(socket, 'job:logs', { jobId, before: 2 })) as Ack<JobLogPage>;
    expect(start).toMatchObject({ data: { before: null, lines: [{ seq: 0 }, { seq: 1 }] } });

    for (const bad of [
      { jobId },
      { jobId, before: -1 },
      { jobId, before: 1, limit: 0 },
      { jobId, before: 1, x: 1 },
    ]) {
      const ack = (await askAny(socket, 'job:logs', bad)) as ErrorBody;
      expect(ack.error?.code, JSON.stringify(bad)).toBe('validation_failed');
    }
    const unknown = (await askAny(socket, 'job:logs', {
      jobId: '6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11',
      before: 5,
    })) as ErrorBody;
    expect(unknown.error.code).toBe('not_found');
  });
});
