import type { AddressInfo } from 'node:net';
import { type Ack, type ErrorBody, subscribeRunPayloadSchema } from '@deploybot/shared';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlWorkflowStore } from '../src/db/workflow-store';
import { errorMiddleware } from '../src/http/error-middleware';
import { onRequest } from '../src/realtime/socket-ack';
import { MISSING_RUN } from './helpers/bad-requests';
import {
  type ApiClient,
  apiClient,
  expectError,
  isStatus,
  isWaitingAt,
  WORKFLOWS,
} from './helpers/http-client';
import { ask, type ClientSocket, connectClient } from './helpers/socket-client';
import { startTestServer, type TestServer } from './helpers/test-server';

/**
 * One failure, one answer: the same failure gets the same code and message whether it is asked over REST or
 * over a socket. Public requests first (a run that does not exist, a decision on a run that is not waiting);
 * then failures no public request can cause on demand (a writer that lost the seq race, a database fault),
 * through the production REST error middleware and socket ack around the same operation.
 */

let server: TestServer;
let api: ApiClient;
let socket: ClientSocket;
let edge: { url: string; close(): Promise<void> };
/** What the REST edge and the socket edge logged as faults of ours (both log through this logger). */
const logged: { msg: string; event?: string; url?: string }[] = [];

/** Failures made to happen on demand, each through a REST route and a socket request of the same name. */
const operations: Record<string, () => Promise<unknown>> = {
  /** Commits a run read a moment ago over a transition another writer already took (the stored seq moved). */
  stale: async () => {
    const store = new SqlWorkflowStore(server.db);
    const run = (await store.getRun(staleRunId))!;
    await store.commit(run, [
      {
        runId: run.id,
        seq: run.seq,
        type: 'run.cancelled',
        stepId: null,
        at: new Date().toISOString(),
        detail: null,
      },
    ]);
  },
  /** The database refuses the statement: its message names a table, which no caller is shown. */
  database: () => server.db.query('SELECT secret_column FROM no_such_table_here'),
  /** A payload that fails its schema. */
  invalid: async () => subscribeRunPayloadSchema.parse({ runId: 'not-a-uuid', extra: true }),
  /** The engine's own decision (the REST approve route adds the role check and the audit around it). */
  decide: () => server.app.engine.decide(decidedRunId, { approved: true, by: 'admin' }),
};
let staleRunId = '';
let decidedRunId = '';

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  const logger = pino(
    { level: 'error' },
    { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) },
  );

  const rest = express();
  for (const [name, operation] of Object.entries(operations)) {
    rest.post(`/${name}`, async (_req, res) => {
      res.json(await operation());
    });
  }
  rest.use(errorMiddleware(logger));
  const http = rest.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  edge = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
  server.app.io.of('/').on('connection', (s) => {
    for (const [name, operation] of Object.entries(operations))
      onRequest(s, `test:${name}`, logger, operation);
  });

  socket = await connectClient(server.url);
  staleRunId = (await api.start('auto_chain', { who: 'ada' })).id;
  await api.waitForRun(staleRunId, isStatus('completed'), 'auto_chain completed');
});

afterAll(async () => {
  socket?.disconnect();
  await edge?.close();
  await server?.close();
});

/** A request the client typings do not know (registered by this test), answered through the real ack. */
function askRaw(event: string, payload: unknown = {}): Promise<Ack<unknown>> {
  return (
    socket.timeout(5000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<unknown>> }
  ).emitWithAck(event, payload);
}

describe('the same failure answers the same over REST and over a socket ack', () => {
  it('a run that does not exist: 404 not_found over REST, not_found with the same message over a socket', async () => {
    const rest = await api.get(`${WORKFLOWS}/${MISSING_RUN}`);
    const error = expectError(rest, 404, 'not_found');
    const ack = await ask(socket, 'workflow:subscribe', { runId: MISSING_RUN });
    expect(ack).toEqual({ error });
    expect(error.message).toContain(MISSING_RUN);
  });

  it('a chat session that does not exist: the same not_found over REST and over a socket', async () => {
    const sessionId = '0b7e4c1e-8d0f-4d3a-9d8e-2f7a1c3b5e60';
    const rest = await api.get(`/v1/ai/sessions/${sessionId}`);
    const error = expectError(rest, 404, 'not_found');
    expect(await ask(socket, 'chat:subscribe', { sessionId })).toEqual({ error });
  });

  it('a decision on a run no longer waiting: 409 conflict over REST and the same conflict over a socket', async () => {
    const started = await api.start('gated_change', { service: 'web' });
    await api.waitForRun(started.id, isWaitingAt('review'), 'the gate');
    expect((await api.post(`${WORKFLOWS}/${started.id}/cancel`, {})).status).toBe(200);
    await api.waitForRun(started.id, isStatus('cancelled'), 'cancelled');
    decidedRunId = started.id;

    const rest = await api.post(`${WORKFLOWS}/${started.id}/approve`, { approved: true });
    const error = expectError(rest, 409, 'conflict');
    expect(await askRaw('test:decide')).toEqual({ error });
  });

  it('a writer that lost the seq race: 409 conflict (retry after reloading) on both, never internal', async () => {
    const res = await fetch(`${edge.url}/stale`, { method: 'POST' });
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(409);
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toContain(staleRunId);
    expect(await askRaw('test:stale')).toEqual(body);
    // The run is as it was: the stale write landed nowhere.
    expect((await api.run(staleRunId)).status).toBe('completed');
  });

  it('a database fault: 500 internal with a generic message on both, logged on both, the SQL shown on neither', async () => {
    logged.length = 0;
    const res = await fetch(`${edge.url}/database`, { method: 'POST' });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    const ack = await askRaw('test:database');
    expect(ack).toEqual(JSON.parse(text));
    expect(`${text} ${JSON.stringify(ack)}`).not.toMatch(/no_such_table|secret_column|relation/);
    expect(logged.map((l) => [l.msg, l.url ?? l.event])).toEqual([
      ['request failed', '/database'],
      ['socket request failed', 'test:database'],
    ]);
  });

  it('a payload that fails its schema: 400 validation_failed naming the fields, the same on both', async () => {
    const res = await fetch(`${edge.url}/invalid`, { method: 'POST' });
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect((body.error.details as { path: string }[]).map((d) => d.path)).toEqual(['runId', '(body)']);
    expect(await askRaw('test:invalid')).toEqual(body);
  });
});

describe('socket refusals use the one shape too', () => {
  it('an unknown request is not_found', async () => {
    expect(await askRaw('test:nothing-here')).toEqual({
      error: { code: 'not_found', message: 'no such request' },
    });
  });
});
