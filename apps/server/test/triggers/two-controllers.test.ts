import { randomBytes } from 'node:crypto';
import type { FiringDto, WorkflowRun } from '@deploybot/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import type { Db } from '../../src/db/db';
import { PostgresDb } from '../../src/db/postgres-db';
import { SecretBox } from '../../src/engine/secrets';
import { DEFAULT_FLEET_OPTIONS } from '../../src/fleet/fleet';
import { createPostgresTestDb, TEST_DATABASE_URL } from '../../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../../src/testing/test-security';
import { runIdForKey } from '../../src/triggers/firing-key';
import { testWorkflows } from '../fixtures/test-workflows';
import { type ApiClient, apiClient, WORKFLOWS } from '../helpers/http-client';
import { createTrigger, firingsOf, sendHook, waitForFirings } from './support';

/**
 * Two controllers (two engines, two trigger schedulers) on one PostgreSQL database, as several controllers
 * behind a load balancer run: the same cron trigger fires from both and each slot starts one run; the same
 * webhook delivery sent to both at once starts one run. No leader: the run's primary key decides.
 */

interface Controller {
  app: App;
  db: Db;
  url: string;
  api: ApiClient;
}

let first: Db;
let controllers: Controller[] = [];
/** Both seal and open webhook secrets with one key, as controllers sharing a database must. */
const secrets = new SecretBox(randomBytes(32));

async function startController(db: Db): Promise<Controller> {
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    workflows: () => ({ kinds: [], documents: [], definitions: testWorkflows() }),
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: 'http://127.0.0.1:0' },
    version: '0.0.0-test',
    security: TEST_SECURITY,
    secrets,
    triggerPollMs: 100,
  });
  const port = await app.listen(0, '127.0.0.1');
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  const url = `http://127.0.0.1:${port}`;
  return { app, db, url, api: apiClient(url) };
}

beforeAll(async () => {
  first = await createPostgresTestDb();
  const [row] = await first.query<{ schema: string }>('SELECT current_schema() AS schema');
  const second = await PostgresDb.open(TEST_DATABASE_URL, { schema: row!.schema, max: 4 });
  controllers = [await startController(first), await startController(second)];
}, 60_000);

afterAll(async () => {
  for (const c of controllers) await c.app.close();
  await controllers[1]?.db.close();
  await first?.close(); // drops the schema
});

async function runsBy(api: ApiClient, startedBy: string): Promise<WorkflowRun[]> {
  const res = await api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&name=auto_chain&limit=500`);
  return res.body.runs.filter((r) => r.startedBy === startedBy);
}

describe('two controllers on one PostgreSQL', () => {
  it('the same cron trigger fires from both: each slot starts exactly one run', async () => {
    const [a, b] = controllers as [Controller, Controller];
    const trigger = await createTrigger(a.api, {
      name: 'both-fire',
      workflow: 'auto_chain',
      inputs: { who: '${{ event.scheduled_at }}' },
      rate_limit: 600,
      source: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
    });
    // The second controller learns of it from the database (its poll), not from the first.
    const until = Date.now() + 10_000;
    while (!b.app.triggers.scheduled().includes(trigger.id)) {
      if (Date.now() > until) throw new Error('the second controller never scheduled the trigger');
      await new Promise((r) => setTimeout(r, 50));
    }
    const bothFrom = Date.now();
    expect(a.app.triggers.scheduled()).toContain(trigger.id);
    await waitForFirings(
      a.api,
      trigger.id,
      (f) => f.filter((x) => x.outcome === 'started' && Date.parse(x.at) > bothFrom).length >= 6,
      'six slots with both controllers firing',
      30_000,
    );
    const off = await a.api.request('PATCH', `/v1/triggers/${trigger.id}`, { enabled: false });
    expect(off.status, off.text).toBe(200);
    for (const c of controllers) await c.app.triggers.idle();

    const firings = await firingsOf(a.api, trigger.id);
    const decided = firings.filter((f) => f.outcome !== 'deduplicated');
    expect(new Set(decided.map((f) => f.key)).size).toBe(decided.length);
    const started = decided
      .filter((f) => f.outcome === 'started')
      .sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
    // Every second from the first slot to the last started once: no slot lost, none twice.
    const slots = started.map((f) => Date.parse(f.at));
    expect(slots).toEqual(slots.map((_, i) => slots[0]! + i * 1000));
    // What each controller sees is the same database: one run per slot, with the key's id.
    for (const c of controllers) {
      const runs = await runsBy(c.api, 'trigger:both-fire');
      expect(runs.map((r) => r.id).sort()).toEqual(started.map((f) => runIdForKey(f.key)).sort());
      for (const run of runs) expect(run.context.who).toBe(run.trigger!.key.split(':').slice(2).join(':'));
    }
    const [count] = await first.query<{ n: string }>(
      `SELECT count(*) AS n FROM workflow_runs WHERE doc->'trigger'->>'id' = $1`,
      [trigger.id],
    );
    expect(Number(count!.n)).toBe(started.length);
  }, 90_000);

  it('the same webhook delivery sent to both controllers at once starts one run', async () => {
    const [a, b] = controllers as [Controller, Controller];
    const hook = await createTrigger(b.api, {
      name: 'both-hook',
      workflow: 'auto_chain',
      inputs: { who: '${{ event.delivery }}' },
      rate_limit: 600,
      source: { type: 'webhook' },
    });
    const deliveries = Array.from({ length: 10 }, (_, i) => `delivery-${i}`);
    const answers = await Promise.all(
      deliveries.flatMap((delivery) =>
        [a, b].map((c) => sendHook(c.url, hook.id, { body: { n: delivery }, secret: hook.secret, delivery })),
      ),
    );
    const firings = answers.map((res) => {
      expect(res.status, res.text).toBe(202);
      return (res.body as { firing: FiringDto }).firing;
    });
    for (const delivery of deliveries) {
      const mine = firings.filter((f) => f.eventId === delivery);
      expect(mine.map((f) => f.outcome).sort(), delivery).toEqual(['deduplicated', 'started']);
      expect(new Set(mine.map((f) => f.runId))).toEqual(
        new Set([runIdForKey(`hook:${hook.id}:${delivery}`)]),
      );
    }
    const runs = await runsBy(a.api, 'trigger:both-hook');
    expect(runs.map((r) => r.context.who).sort()).toEqual([...deliveries].sort());
  }, 60_000);
});
