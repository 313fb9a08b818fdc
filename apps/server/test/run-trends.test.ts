import type { RunTrends } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  expectError,
  expectFieldError,
  isStatus,
  isWaitingAt,
  WORKFLOWS,
} from './helpers/http-client';
import { startTestServer, type TestServer } from './helpers/test-server';

/** A workflow's trends against the real controller: runs approved and rejected over REST, then counted. */
let server: TestServer;
let api: ApiClient;
const TRENDS = `${WORKFLOWS}/trends`;
/** The day before and after today (UTC), so a run near midnight is still in the range. */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  for (const approved of [true, true, false]) {
    const run = await api.start('gated_change', { service: 'billing' });
    await api.waitForRun(run.id, isWaitingAt('review'), 'the review gate');
    const res = await api.post(`${WORKFLOWS}/${run.id}/approve`, {
      approved,
      note: 'decided',
      ...(approved && { user_input: 'green' }),
    });
    expect(res.status, res.text).toBe(200);
    await api.waitForRun(run.id, isStatus(approved ? 'completed' : 'cancelled'), 'its end');
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('GET /v1/ai/workflows/trends', () => {
  it('counts the runs of the workflow: two approved and completed, one rejected, three gate waits', async () => {
    const res = await api.get<RunTrends>(`${TRENDS}?workflow=gated_change&from=${day(-1)}&to=${day(1)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.buckets.map((b) => b.start)).toEqual([-1, 0, 1].map((d) => `${day(d)}T00:00:00.000Z`));
    expect(res.body.buckets.reduce((n, b) => n + b.runs, 0)).toBe(3);
    expect(res.body.totals).toMatchObject({ runs: 3, completed: 2, failed: 0, cancelled: 1, successRate: 1 });
    expect(res.body.totals.gateWaits).toBe(3);
    expect(res.body.totals.durationP50Ms).toBeGreaterThanOrEqual(0);
    expect(res.body.failingSteps).toEqual([]);
  });

  it('bad queries get 400 with the field at fault', async () => {
    expectFieldError(await api.get(`${TRENDS}?from=2026-11-01&to=2026-11-02`), 'query.workflow');
    expectFieldError(
      await api.get(`${TRENDS}?workflow=Bad-Name&from=2026-11-01&to=2026-11-02`),
      'query.workflow',
    );
    expectFieldError(
      await api.get(`${TRENDS}?workflow=auto_chain&from=yesterday&to=2026-11-02`),
      'query.from',
    );
    expectFieldError(
      await api.get(`${TRENDS}?workflow=auto_chain&from=2026-11-03&to=2026-11-02`),
      'query.from',
    );
    expectFieldError(
      await api.get(`${TRENDS}?workflow=auto_chain&from=2024-01-01&to=2026-11-02`),
      'query.to',
    );
    expectFieldError(
      await api.get(`${TRENDS}?workflow=auto_chain&from=2026-11-01&to=2026-11-02&bucket=hour`),
      'query.bucket',
    );
  });

  it('needs a signed-in caller', async () => {
    expectError(
      await api.request('GET', `${TRENDS}?workflow=auto_chain&from=2026-11-01&to=2026-11-02`, undefined, {
        headers: { authorization: '' },
      }),
      401,
      'unauthorized',
    );
  });
});
