import type { AuditEntryDto, FiringDto, TriggerDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdForKey } from '../../src/triggers/firing-key';
import { type ApiClient, apiClient, expectError, expectFieldError, WORKFLOWS } from '../helpers/http-client';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { createTrigger, firingsOf, getTrigger, runsStartedBy, sendHook, waitForFirings } from './support';

/**
 * Triggers over the real controller (PGlite, the real engine and HTTP): the stored objects and their
 * validation, signed webhooks (exactly once per delivery), event triggers with their filter and loop guard,
 * the conflict guard and the rate limit.
 */

let s: TestServer;
let api: ApiClient;

/** A quick workflow of one `set` step, for triggers to start. */
const LOOP_ME = {
  name: 'loop_me',
  title: 'Loop me',
  inputs: [{ key: 'who', label: 'Who', type: 'text', required: false }],
  steps: [{ id: 'note', title: 'Note', uses: 'set', with: { done: true } }],
};

/** One run at a time (refuse): a second start while the first waits is a conflict. */
const HOLD_ONE = {
  name: 'hold_one',
  title: 'Hold one',
  inputs: [{ key: 'tag', label: 'Tag', type: 'text', required: true }],
  concurrency: { key: 'hold', on_conflict: 'refuse' },
  steps: [{ id: 'pause', title: 'Pause', uses: 'wait', with: { duration: '60s' } }],
};

beforeAll(async () => {
  s = await startTestServer();
  api = apiClient(s.url);
  for (const doc of [LOOP_ME, HOLD_ONE]) {
    const res = await api.post(`${WORKFLOWS}/definitions`, doc);
    if (res.status !== 201) throw new Error(`save ${doc.name}: ${res.status} ${res.text}`);
  }
});

afterAll(async () => {
  await s?.close();
});

const finished = (r: WorkflowRun) => ['completed', 'failed', 'cancelled'].includes(r.status);
const outcomes = (firings: FiringDto[]) => firings.map((f) => f.outcome);

async function audit(action: string): Promise<AuditEntryDto[]> {
  const res = await api.get<{ entries: AuditEntryDto[] }>(`/v1/audit?action=${action}&limit=1000`);
  return res.body.entries;
}

describe('stored triggers', () => {
  it('a cron trigger is stored with its defaults, shows its next five fire times, and is audited', async () => {
    const created = await createTrigger(api, {
      name: 'weekday-health',
      workflow: 'health_check',
      source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
    });
    expect(created).toMatchObject({
      name: 'weekday-health',
      workflow: 'health_check',
      version: null,
      inputs: {},
      enabled: true,
      pausedReason: null,
      rateLimit: 10,
      source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', missed: 'skip' },
      webhookPath: null,
      createdBy: 'admin',
      updatedBy: 'admin',
    });
    expect(created).not.toHaveProperty('secret');
    // 08:00 in Berlin is 06:00 or 07:00 UTC, Monday to Friday.
    expect(created.nextFireTimes).toHaveLength(5);
    for (const t of created.nextFireTimes) {
      const d = new Date(t);
      expect(d.getTime()).toBeGreaterThan(Date.now());
      expect([6, 7]).toContain(d.getUTCHours());
      expect(d.getUTCMinutes()).toBe(0);
      expect([1, 2, 3, 4, 5]).toContain(d.getUTCDay());
    }
    const sorted = [...created.nextFireTimes].sort();
    expect(created.nextFireTimes).toEqual(sorted);

    expect(await getTrigger(api, created.id)).toEqual(created);
    const list = await api.get<{ triggers: TriggerDto[] }>('/v1/triggers');
    expect(list.body.triggers.map((t) => t.name)).toContain('weekday-health');
    expect((await audit('trigger.create')).find((e) => e.target === created.id)).toMatchObject({
      actor: 'admin',
      detail: { name: 'weekday-health', workflow: 'health_check', source: 'cron' },
    });

    // Disabled: no fire times; enabled again: they are back.
    const off = await api.request<TriggerDto>('PATCH', `/v1/triggers/${created.id}`, { enabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, nextFireTimes: [] });
    const on = await api.request<TriggerDto>('PATCH', `/v1/triggers/${created.id}`, {
      enabled: true,
      source: { type: 'cron', expression: '*/30 * * * * *', timezone: 'UTC', missed: 'run_once' },
    });
    expect(on.status, on.text).toBe(200);
    expect(on.body.nextFireTimes.map((t) => new Date(t).getUTCSeconds() % 30)).toEqual([0, 0, 0, 0, 0]);
    expect((await audit('trigger.update')).filter((e) => e.target === created.id)).toHaveLength(2);

    const gone = await api.request('DELETE', `/v1/triggers/${created.id}`);
    expect(gone.status).toBe(204);
    expectError(await api.get(`/v1/triggers/${created.id}`), 404, 'not_found');
    expect((await audit('trigger.delete')).find((e) => e.target === created.id)).toBeDefined();
  });

  it('bodies are validated with the shared zod schemas: 400 naming each field at fault', async () => {
    const ok = {
      name: 'x-valid',
      workflow: 'auto_chain',
      inputs: { who: 'me' },
      source: { type: 'webhook' },
    };
    const post = (body: unknown) => api.post('/v1/triggers', body);
    expectFieldError(await post({ ...ok, name: 'Bad Name' }), 'name');
    expectFieldError(await post({ ...ok, workflow: 'Nope!' }), 'workflow');
    expectFieldError(await post({ ...ok, extra: 1 }), 'extra');
    expectFieldError(await post({ ...ok, rate_limit: 0 }), 'rate_limit');
    expectFieldError(await post({ ...ok, version: 1.5 }), 'version');
    expectFieldError(await post({ ...ok, inputs: [] }), 'inputs');
    expectFieldError(await post({ ...ok, source: { type: 'mail' } }), 'source.type');
    expectFieldError(await post({ ...ok, source: { type: 'event', on: 'job.exploded' } }), 'source.on');
    expectFieldError(await post({ ...ok, source: { type: 'webhook', secret: 'mine' } }), 'source');
    expectFieldError(
      await post({ ...ok, source: { type: 'cron', expression: '* * * * *', timezone: 'Mars/Olympus' } }),
      'source.timezone',
    );
    expectFieldError(
      await post({ ...ok, source: { type: 'cron', expression: '* * * * *', missed: 'later' } }),
      'source.missed',
    );
    // Checked against the workflow and the expression language.
    expectFieldError(await post({ ...ok, workflow: 'no_such_flow' }), 'workflow');
    expectFieldError(await post({ ...ok, version: 99 }), 'version');
    expectFieldError(await post({ ...ok, inputs: { who: 'me', colour: 'red' } }), 'inputs.colour');
    expectFieldError(await post({ ...ok, inputs: {} }), 'inputs.who');
    expectFieldError(await post({ ...ok, inputs: { who: 'me', count: 'many' } }), 'inputs.count');
    expectFieldError(await post({ ...ok, inputs: { who: '${{ event.body. }}' } }), 'inputs.who');
    expectFieldError(
      await post({ ...ok, source: { type: 'cron', expression: '61 * * * *', timezone: 'UTC' } }),
      'source.expression',
    );
    expectFieldError(
      await post({ ...ok, source: { type: 'event', on: 'job.failed', filter: 'event.repository ==' } }),
      'source.filter',
    );
    expectFieldError(
      await post({ ...ok, source: { type: 'event', on: 'job.failed', filter: '"not a boolean"' } }),
      'source.filter',
    );
    // A schedule firing more often than its rate limit would only pause itself.
    const everySecond = { type: 'cron', expression: '* * * * * *', timezone: 'UTC' };
    expectFieldError(await post({ ...ok, source: everySecond }), 'rate_limit');
    expectFieldError(await post({ ...ok, source: everySecond, rate_limit: 59 }), 'rate_limit');
    expectFieldError(await api.request('PATCH', `/v1/triggers/${runIdForKey('x')}`, {}), '(body)');
    expectError(await api.get('/v1/triggers/not-a-uuid'), 400, 'validation_failed');
    // Nothing of the refused bodies was stored.
    const list = await api.get<{ triggers: TriggerDto[] }>('/v1/triggers');
    expect(list.body.triggers.map((t) => t.name)).not.toContain('x-valid');
    // A name is one trigger's.
    await createTrigger(api, { ...ok, name: 'x-taken' });
    expectError(await post({ ...ok, name: 'x-taken' }), 409, 'conflict');
  });

  it("a webhook's secret is in the answer to creating it and nowhere else; rotating it answers a new one", async () => {
    const created = await createTrigger(api, {
      name: 'secret-once',
      workflow: 'loop_me',
      source: { type: 'webhook' },
    });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.webhookPath).toBe(`/v1/hooks/${created.id}`);
    const read = await api.get<TriggerDto>(`/v1/triggers/${created.id}`);
    expect(read.text).not.toContain(created.secret!);
    expect(read.body).not.toHaveProperty('secret');
    const listed = await api.get('/v1/triggers');
    expect(listed.text).not.toContain(created.secret!);
    // Stored sealed, not in clear.
    const rows = await s.db.query<{ secret: string }>('SELECT secret FROM triggers WHERE id = $1', [
      created.id,
    ]);
    expect(rows[0]!.secret).toMatch(/^v1:/);
    expect(rows[0]!.secret).not.toContain(created.secret!);
    const auditText = JSON.stringify(await audit('trigger.create'));
    expect(auditText).not.toContain(created.secret!);

    const rotated = await api.request<{ secret?: string }>('PATCH', `/v1/triggers/${created.id}`, {
      rotate_secret: true,
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.body.secret).not.toBe(created.secret);
    // The old secret signs nothing any more; the new one does.
    const old = await sendHook(s.url, created.id, { body: {}, secret: created.secret, delivery: 'rot-1' });
    expectError(old, 401, 'unauthorized');
    const fresh = await sendHook(s.url, created.id, {
      body: {},
      secret: rotated.body.secret,
      delivery: 'rot-2',
    });
    expect(fresh.status, fresh.text).toBe(202);
    expectFieldError(
      await api.request('PATCH', `/v1/triggers/${created.id}`, {
        rotate_secret: true,
        source: { type: 'cron', expression: '* * * * *' },
      }),
      'rotate_secret',
    );
  });
});

describe('webhooks', () => {
  let hook: { id: string; secret: string };

  beforeAll(async () => {
    const created = await createTrigger(api, {
      name: 'ci-push',
      workflow: 'auto_chain',
      inputs: { who: '${{ event.body.pusher.name }}', count: '${{ event.body.size }}' },
      source: { type: 'webhook' },
    });
    hook = { id: created.id, secret: created.secret! };
  });

  it('a delivery signed with the secret starts the workflow with inputs from the body (202)', async () => {
    const res = await sendHook(s.url, hook.id, {
      body: { pusher: { name: 'octocat' }, size: 3 },
      secret: hook.secret,
      delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      event: 'push',
    });
    expect(res.status, res.text).toBe(202);
    const { firing } = res.body as { firing: FiringDto };
    const key = `hook:${hook.id}:72d3162e-cc78-11e3-81ab-4c9367dc0958`;
    expect(firing).toMatchObject({
      triggerId: hook.id,
      key,
      outcome: 'started',
      runId: runIdForKey(key),
      eventType: 'webhook',
      eventId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      reason: null,
    });
    const run = await api.waitForRun(firing.runId!, finished, 'completion');
    expect(run).toMatchObject({
      name: 'auto_chain',
      status: 'completed',
      startedBy: 'trigger:ci-push',
      context: expect.objectContaining({ who: 'octocat', count: 3 }),
      trigger: { id: hook.id, name: 'ci-push', key, depth: 0, configuredBy: 'admin' },
    });
    const started = (await audit('workflow.start')).find((e) => e.target === run.id);
    expect(started).toMatchObject({ actor: 'trigger:ci-push', detail: { trigger: hook.id, key } });
  });

  it("GitHub's ping, signed, is answered and fires nothing", async () => {
    const before = (await firingsOf(api, hook.id)).length;
    const res = await sendHook(s.url, hook.id, {
      body: { zen: 'Keep it logically awesome.', hook_id: 1 },
      secret: hook.secret,
      delivery: 'ping-1',
      event: 'ping',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ ping: 'pong' });
    expect((await firingsOf(api, hook.id)).length).toBe(before);
    const unsigned = await sendHook(s.url, hook.id, { body: {}, delivery: 'ping-2', event: 'ping' });
    expectError(unsigned, 401, 'unauthorized');
  });

  it('a bad or missing signature is 401 and starts nothing, records nothing', async () => {
    const before = (await runsStartedBy(api, 'trigger:ci-push')).length;
    const firingsBefore = (await firingsOf(api, hook.id)).length;
    const body = { pusher: { name: 'mallory' }, size: 1 };
    const attempts = [
      sendHook(s.url, hook.id, { body, delivery: 'bad-1' }), // no signature
      sendHook(s.url, hook.id, { body, secret: 'not-the-secret', delivery: 'bad-2' }),
      sendHook(s.url, hook.id, { body, signature: 'sha256=', delivery: 'bad-3' }),
      sendHook(s.url, hook.id, { body, signature: `sha1=${'0'.repeat(40)}`, delivery: 'bad-4' }),
      sendHook(s.url, hook.id, { body, signature: `sha256=${'0'.repeat(64)}`, delivery: 'bad-5' }),
      // Signed right, but for other bytes than the ones sent.
      sendHook(s.url, hook.id, {
        body,
        signature: (await import('../../src/triggers/webhook-signature')).signatureOf(
          hook.secret,
          JSON.stringify({ ...body, size: 2 }),
        ),
        delivery: 'bad-6',
      }),
    ];
    for (const res of await Promise.all(attempts)) expectError(res, 401, 'unauthorized');
    expect((await runsStartedBy(api, 'trigger:ci-push')).length).toBe(before);
    expect((await firingsOf(api, hook.id)).length).toBe(firingsBefore);
    // A signed delivery without its id is refused too (400), before anything is fired.
    const noId = await sendHook(s.url, hook.id, { body, secret: hook.secret });
    expectFieldError(noId, 'headers.x-github-delivery');
    // Unknown triggers and triggers that are no webhooks answer 404.
    expectError(
      await sendHook(s.url, runIdForKey('nope'), { body, secret: hook.secret, delivery: 'x' }),
      404,
      'not_found',
    );
    expectError(
      await sendHook(s.url, 'not-a-uuid', { body, secret: hook.secret, delivery: 'x' }),
      404,
      'not_found',
    );
    expect((await runsStartedBy(api, 'trigger:ci-push')).length).toBe(before);
  });

  it('the same delivery sent twice, one after the other or at once, starts one run', async () => {
    const body = { pusher: { name: 'twice' }, size: 2 };
    const first = await sendHook(s.url, hook.id, { body, secret: hook.secret, delivery: 'dup-seq' });
    const again = await sendHook(s.url, hook.id, { body, secret: hook.secret, delivery: 'dup-seq' });
    expect(first.status, first.text).toBe(202);
    expect(again.status, again.text).toBe(202);
    const a = (first.body as { firing: FiringDto }).firing;
    const b = (again.body as { firing: FiringDto }).firing;
    expect(a.outcome).toBe('started');
    expect(b).toMatchObject({ outcome: 'deduplicated', runId: a.runId, key: a.key });
    expect(b.reason).toMatch(/^already fired: started/);

    const together = await Promise.all(
      Array.from({ length: 5 }, () =>
        sendHook(s.url, hook.id, { body, secret: hook.secret, delivery: 'dup-par' }),
      ),
    );
    const firings = together.map((r) => {
      expect(r.status, r.text).toBe(202);
      return (r.body as { firing: FiringDto }).firing;
    });
    expect(outcomes(firings).sort()).toEqual([
      'deduplicated',
      'deduplicated',
      'deduplicated',
      'deduplicated',
      'started',
    ]);
    expect(new Set(firings.map((f) => f.runId)).size).toBe(1);

    const runs = await runsStartedBy(api, 'trigger:ci-push');
    expect(runs.filter((r) => r.trigger?.key === a.key)).toHaveLength(1);
    expect(runs.filter((r) => r.trigger?.key === firings[0]!.key)).toHaveLength(1);
    const recorded = await firingsOf(api, hook.id);
    expect(outcomes(recorded.filter((f) => f.eventId === 'dup-par')).sort()).toEqual(
      outcomes(firings).sort(),
    );
  });

  it("the workflow's conflict guard applies: a refused start is a firing with outcome conflict", async () => {
    const guarded = await createTrigger(api, {
      name: 'hold-hook',
      workflow: 'hold_one',
      inputs: { tag: '${{ event.body.tag }}' },
      source: { type: 'webhook' },
    });
    const send = (delivery: string, tag: string) =>
      sendHook(s.url, guarded.id, { body: { tag }, secret: guarded.secret, delivery });
    const first = (await send('hold-1', 'a')).body as { firing: FiringDto };
    expect(first.firing.outcome).toBe('started');
    await api.waitForRun(first.firing.runId!, (r) => r.status === 'waiting', 'the wait step');
    const second = (await send('hold-2', 'b')).body as { firing: FiringDto };
    expect(second.firing).toMatchObject({ outcome: 'conflict', runId: null });
    expect(second.firing.reason).toContain(first.firing.runId!);
    // The conflict was the key's decision: sent again, it is not tried again.
    const third = (await send('hold-2', 'b')).body as { firing: FiringDto };
    expect(third.firing.outcome).toBe('deduplicated');
    await api.post(`${WORKFLOWS}/${first.firing.runId}/cancel`, { reason: 'test done' });
    expect((await runsStartedBy(api, 'trigger:hold-hook')).length).toBe(1);
  });

  it('a disabled webhook trigger records the delivery as disabled and starts nothing', async () => {
    const t = await createTrigger(api, {
      name: 'off-hook',
      workflow: 'loop_me',
      enabled: false,
      source: { type: 'webhook' },
    });
    const res = await sendHook(s.url, t.id, { body: {}, secret: t.secret, delivery: 'off-1' });
    expect(res.status, res.text).toBe(202);
    expect((res.body as { firing: FiringDto }).firing).toMatchObject({ outcome: 'disabled', runId: null });
    expect(await runsStartedBy(api, 'trigger:off-hook')).toEqual([]);
  });
});

describe('event triggers', () => {
  it('a filter that is false records the event as filtered', async () => {
    const t = await createTrigger(api, {
      name: 'only-deploys',
      workflow: 'loop_me',
      source: { type: 'event', on: 'run.completed', filter: 'event.workflow == "deploy_application"' },
    });
    const run = await api.start('auto_chain', { who: 'filter' });
    await api.waitForRun(run.id, finished, 'completion');
    const firings = await waitForFirings(
      api,
      t.id,
      (f) => f.some((x) => x.eventId === `run.completed:${run.id}`),
      'the filtered firing',
    );
    expect(firings.find((f) => f.eventId === `run.completed:${run.id}`)).toMatchObject({
      outcome: 'filtered',
      key: `event:${t.id}:run.completed:${run.id}`,
      eventType: 'run.completed',
      runId: null,
    });
    expect(await runsStartedBy(api, 'trigger:only-deploys')).toEqual([]);
    await api.request('PATCH', `/v1/triggers/${t.id}`, { enabled: false });
  });

  it('loop guard: a trigger on run.completed of its own workflow fires once, not on the run it started', async () => {
    const t = await createTrigger(api, {
      name: 'self-feeding',
      workflow: 'loop_me',
      inputs: { who: '${{ event.started_by }}' },
      source: { type: 'event', on: 'run.completed', filter: 'event.workflow == "loop_me"' },
    });
    const first = await api.start('loop_me', { who: 'a person' });
    const firings = await waitForFirings(
      api,
      t.id,
      (f) => f.some((x) => x.outcome === 'loop'),
      'the loop guard to stop the chain',
    );
    expect(outcomes(firings)).toEqual(['started', 'loop']);
    const [started, loop] = firings as [FiringDto, FiringDto];
    expect(started.eventId).toBe(`run.completed:${first.id}`);
    const second = await api.waitForRun(started.runId!, finished, 'the triggered run');
    expect(second).toMatchObject({
      status: 'completed',
      startedBy: 'trigger:self-feeding',
      context: expect.objectContaining({ who: 'admin' }),
      trigger: { name: 'self-feeding', depth: 1 },
    });
    expect(loop).toMatchObject({ eventId: `run.completed:${second.id}`, runId: null });
    expect(loop.reason).toMatch(/event trigger started \(depth 1\)/);
    // Settled: nothing more comes of it.
    await s.app.triggers.idle();
    await s.app.engine.idle();
    await s.app.triggers.idle();
    expect(outcomes(await firingsOf(api, t.id))).toEqual(['started', 'loop']);
    expect(await runsStartedBy(api, 'trigger:self-feeding')).toHaveLength(1);
    await api.request('PATCH', `/v1/triggers/${t.id}`, { enabled: false });
  });
});

describe('rate limit', () => {
  it('past its firings per minute a trigger pauses itself, says so, and fires no more until enabled again', async () => {
    const t = await createTrigger(api, {
      name: 'chatty-hook',
      workflow: 'loop_me',
      rate_limit: 2,
      source: { type: 'webhook' },
    });
    const send = (delivery: string) => sendHook(s.url, t.id, { body: {}, secret: t.secret, delivery });
    const answers: FiringDto[] = [];
    for (const d of ['r1', 'r2', 'r3', 'r4']) {
      const res = await send(d);
      expect(res.status, res.text).toBe(202);
      answers.push((res.body as { firing: FiringDto }).firing);
    }
    expect(outcomes(answers)).toEqual(['started', 'started', 'rate_limited', 'disabled']);
    expect(answers[2]!.reason).toMatch(/more than 2 firing\(s\) in a minute.*paused itself/);
    expect(answers[3]!.reason).toMatch(/^the trigger is paused: more than 2 firing/);
    const paused = await getTrigger(api, t.id);
    expect(paused).toMatchObject({ enabled: false, updatedBy: 'admin' });
    expect(paused.pausedReason).toMatch(/more than 2 firing\(s\) in a minute/);
    expect((await audit('trigger.pause')).find((e) => e.target === t.id)).toMatchObject({
      actor: 'trigger:chatty-hook',
    });
    expect(await runsStartedBy(api, 'trigger:chatty-hook')).toHaveLength(2);

    const again = await api.request<TriggerDto>('PATCH', `/v1/triggers/${t.id}`, {
      enabled: true,
      rate_limit: 5,
    });
    expect(again.body).toMatchObject({ enabled: true, pausedReason: null, rateLimit: 5 });
    expect(((await send('r5')).body as { firing: FiringDto }).firing.outcome).toBe('started');
  });
});
