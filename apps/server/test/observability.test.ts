import { request as httpRequest } from 'node:http';
import type { WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import type { PgliteDb } from '../src/db/pglite-db';
import { DEFAULT_FLEET_OPTIONS } from '../src/fleet/fleet';
import { createLogger } from '../src/logger';
import { type Exposition, histogramOf, parseExposition, sampleValue } from '../src/testing/prometheus-text';
import { createPgliteTestDb } from '../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../src/testing/test-security';
import { builtInWorkflows } from '../src/workflows';
import { testWorkflows } from './fixtures/test-workflows';
import {
  type ApiClient,
  apiClient,
  expectError,
  isStatus,
  isWaitingAt,
  WORKFLOWS,
} from './helpers/http-client';

/**
 * Operating the controller: /metrics (Prometheus text, parsed as Prometheus would), who may read it,
 * /health/live and /health/ready, and request ids in answers and logs. The real app on PGlite.
 */

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';

interface Server {
  app: App;
  db: PgliteDb;
  url: string;
  api: ApiClient;
  /** Everything logged so far, one JSON object a line. */
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

async function startServer(
  opts: { metricsToken?: string; leaseLoopAlive?: () => boolean } = {},
): Promise<Server> {
  const db = await createPgliteTestDb();
  const chunks: string[] = [];
  // The controller's own logger (its mixin adds the log context), writing JSON lines into memory.
  const logger = createLogger({
    level: 'trace',
    format: 'json',
    destination: { write: (line: string) => chunks.push(line) } as unknown as NodeJS.WritableStream,
  });
  const app = createApp({
    db,
    logger,
    workflows: (fleet) => ({
      ...builtInWorkflows({
        fleet,
        enrollCommand: () => 'deploybot-agent',
        connectTimeoutMs: 60_000,
        agentReturnTimeoutMs: 60_000,
      }),
      definitions: testWorkflows(),
    }),
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: 'http://127.0.0.1:0' },
    version: '0.0.0-observability-test',
    security: TEST_SECURITY,
    metricsToken: opts.metricsToken,
    leaseLoopAlive: opts.leaseLoopAlive,
  });
  const port = await app.listen(0, '127.0.0.1');
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    db,
    url,
    api: apiClient(url),
    logs: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await app.close();
      await db.close();
    },
  };
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A GET with node:http, so the test chooses the address it connects from (and no credentials unless given). */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<Res> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The one error shape, as expectError reads it. */
function expectErrorRes(res: Res, status: number, code: string) {
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  return expectError(
    { status: res.status, contentType: String(res.headers['content-type'] ?? ''), text: res.text, body },
    status,
    code,
  );
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await get(url, '/metrics', headers);
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(res.text);
}

describe('metrics, health and request ids (no metrics token)', () => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('after a run completes over REST, /metrics from this machine needs no token and counts it', async () => {
    const started = await s.api.start('auto_chain', { who: 'metrics' });
    const done = await s.api.waitForRun(started.id, isStatus('completed'), 'completed');
    const events = await s.api.events(done.id);

    const m = await scrape(s.url);
    expect(sampleValue(m, 'deploybot_runs_started_total', 'COUNTER', { workflow: 'auto_chain' })).toBe(1);
    expect(
      sampleValue(m, 'deploybot_runs_finished_total', 'COUNTER', {
        workflow: 'auto_chain',
        outcome: 'completed',
      }),
    ).toBe(1);
    expect(sampleValue(m, 'deploybot_runs_finished_total', 'COUNTER', { outcome: 'failed' })).toBe(0);
    // One committed transition, one event: the run's whole audit trail.
    expect(sampleValue(m, 'deploybot_transitions_committed_total', 'COUNTER')).toBe(events.length);
    // Both automatic steps, timed (the only label set so far).
    const steps = histogramOf(m, 'deploybot_step_duration_seconds');
    expect(steps?.count).toBe(2);
    expect(m.text).toMatch(
      /^deploybot_step_duration_seconds_count\{workflow="auto_chain",kind="automatic",outcome="completed"\} 2$/m,
    );
    // Every transition after the first went through a timed commit (several may share one).
    const commits = histogramOf(m, 'deploybot_commit_duration_seconds')?.count ?? 0;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(events.length);
    // No gate yet, no agents, no jobs; every job status is there, at 0.
    expect(histogramOf(m, 'deploybot_gate_wait_seconds')).toBeNull();
    expect(sampleValue(m, 'deploybot_agents_online', 'GAUGE')).toBe(0);
    for (const status of ['pending', 'running', 'success', 'failed', 'cancelled']) {
      expect(m.text).toContain(`deploybot_jobs{status="${status}"} 0`);
    }
    expect(sampleValue(m, 'deploybot_leases_held', 'GAUGE')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(m, 'deploybot_leases_taken_over_total', 'COUNTER')).toBe(0);
    expect(m.families.find((f) => f.name === 'nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
  });

  it('times the wait at a gate until a person decides', async () => {
    const started = await s.api.start('gated_change', { service: 'web' });
    await s.api.waitForRun(started.id, isWaitingAt('review'), 'waiting at review');
    const approved = await s.api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/approve`, {
      approved: true,
      user_input: 'green',
    });
    expect(approved.status, approved.text).toBe(200);
    await s.api.waitForRun(started.id, isStatus('completed'), 'completed');

    const m = await scrape(s.url);
    expect(histogramOf(m, 'deploybot_gate_wait_seconds')?.count).toBe(1);
    expect(m.text).toMatch(/^deploybot_gate_wait_seconds_count\{workflow="gated_change"\} 1$/m);
    expect(sampleValue(m, 'deploybot_runs_started_total', 'COUNTER', { workflow: 'gated_change' })).toBe(1);
  });

  it('counts the sockets connected to the controller', async () => {
    const { io } = await import('socket.io-client');
    const socket = io(s.url, {
      auth: { token: TEST_ADMIN_TOKEN },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const m = await scrape(s.url);
      expect(sampleValue(m, 'deploybot_sockets_connected', 'GAUGE', { namespace: '/' })).toBe(1);
    } finally {
      socket.close();
    }
  });

  it('from another address, /metrics wants a user token; X-Forwarded-For does not make a caller local', async () => {
    // 127.0.0.2 reaches this machine's loopback interface, but it is not one of the addresses the rule counts as
    // this machine: the closest a test can come to a scraper elsewhere.
    const elsewhere = await get(s.url, '/metrics', { 'x-forwarded-for': '127.0.0.1' }, '127.0.0.2');
    expect(expectErrorRes(elsewhere, 401, 'unauthorized').message).toMatch(/this machine only/);
    const signedIn = await get(
      s.url,
      '/metrics',
      { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      '127.0.0.2',
    );
    expect(signedIn.status).toBe(200);
    expect(() => parseExposition(signedIn.text)).not.toThrow();
    const badToken = await get(
      s.url,
      '/metrics',
      { authorization: 'Bearer dbt_not-a-real-token-0000000000' },
      '127.0.0.2',
    );
    expectErrorRes(badToken, 401, 'unauthorized');
  });

  it('/health/live and /health/ready answer 200 with their checks; /health is as before', async () => {
    const live = await get(s.url, '/health/live');
    expect(live.status).toBe(200);
    expect(JSON.parse(live.text)).toEqual({ status: 'ok' });
    const ready = await get(s.url, '/health/ready');
    expect(ready.status, ready.text).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({
      status: 'ok',
      checks: { database: { ok: true }, migrations: { ok: true }, leaseLoop: { ok: true } },
    });
    const health = await get(s.url, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', database: { kind: 'pglite', ok: true } });
  });

  it('a missing migration makes /health/ready 503, naming it; its X-Request-Id is echoed and in the log line', async () => {
    const [last] = await s.db.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1',
    );
    await s.db.query('DELETE FROM schema_migrations WHERE version = $1', [last!.version]);
    try {
      const res = await get(s.url, '/health/ready', { 'x-request-id': 'probe-4711' });
      expect(res.headers['x-request-id']).toBe('probe-4711');
      const error = expectErrorRes(res, 503, 'unavailable');
      expect(error.message).toContain(`migrations: migrations not applied: ${last!.version}`);
      expect(error.details).toMatchObject({
        checks: { database: { ok: true }, migrations: { ok: false }, leaseLoop: { ok: true } },
      });
      // Live is about the process only: still 200.
      expect((await get(s.url, '/health/live')).status).toBe(200);
      const lines = s.logs().filter((l) => l.requestId === 'probe-4711');
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['request failed', 'request finished']));
    } finally {
      await s.db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        last!.version,
        last!.name,
      ]);
    }
    expect((await get(s.url, '/health/ready')).status).toBe(200);
  });

  it('a request without a sane X-Request-Id gets a fresh one, echoed', async () => {
    const res = await get(s.url, '/health/live', { 'x-request-id': 'no spaces allowed' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const line = s.logs().find((l) => l.requestId === res.headers['x-request-id']);
    expect(line).toMatchObject({ msg: 'request finished', method: 'GET', path: '/health/live', status: 200 });
  });
});

describe('metrics with DEPLOYBOT_METRICS_TOKEN set, and a stopped lease loop', () => {
  let s: Server;
  let leaseLoopAlive = true;
  beforeAll(async () => {
    s = await startServer({ metricsToken: METRICS_TOKEN, leaseLoopAlive: () => leaseLoopAlive });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('no token → 401 even from this machine, a wrong one → 401, the metrics token or a user token → 200', async () => {
    const none = await get(s.url, '/metrics');
    expect(expectErrorRes(none, 401, 'unauthorized').message).toContain('DEPLOYBOT_METRICS_TOKEN');
    expectErrorRes(
      await get(s.url, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` }),
      401,
      'unauthorized',
    );
    expectErrorRes(
      await get(s.url, '/metrics', { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` }),
      401,
      'unauthorized',
    );
    const right = await scrape(s.url, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(sampleValue(right, 'deploybot_transitions_committed_total', 'COUNTER')).toBe(0);
    await scrape(s.url, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
  });

  it('/health/ready is 503 while the lease loop is not alive, 200 again after', async () => {
    leaseLoopAlive = false;
    try {
      const res = await get(s.url, '/health/ready');
      expect(expectErrorRes(res, 503, 'unavailable').message).toContain(
        'leaseLoop: the run lease loop has stopped',
      );
    } finally {
      leaseLoopAlive = true;
    }
    expect((await get(s.url, '/health/ready')).status).toBe(200);
  });
});
