import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowDefinitionDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployRepo } from './fleet/support/git-repo';
import { BAD_REQUESTS, MISSING_RUN, type RunsUnderTest } from './helpers/bad-requests';
import {
  type ApiClient,
  apiClient,
  expectError,
  expectFieldError,
  expectGapFree,
  isStatus,
  isWaitingAt,
  stepOf,
  WORKFLOWS,
} from './helpers/http-client';
import { startTestServer, type TestServer } from './helpers/test-server';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const typesOf = async (id: string) =>
  (await api.events(id)).map((e) => `${e.type}${e.stepId ? `@${e.stepId}` : ''}`);

describe('health and definitions', () => {
  it('GET /health answers ok with a real database round-trip', async () => {
    const res = await api.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      version: '0.0.0-test',
      database: { kind: 'pglite', ok: true },
    });
  });

  it('GET /definitions lists the test workflows and the four built-ins, as data only', async () => {
    const res = await api.get<{ definitions: WorkflowDefinitionDto[] }>(`${WORKFLOWS}/definitions`);
    expect(res.status).toBe(200);
    const defs = res.body.definitions;
    expect(defs.map((d) => d.name)).toEqual([
      'auto_chain',
      'gated_change',
      'two_gates',
      'ask_host',
      'slow_step',
      'register_agent',
      'deploy_application',
      'troubleshoot_failure',
      'health_check',
    ]);
    const gated = defs.find((d) => d.name === 'gated_change')!;
    // Each step says what it uses, what it needs and whether it can be undone (a TypeScript test definition:
    // no kind, the previous step as its need, no condition, nothing to undo).
    const step = (id: string, title: string, description: string, kind: string, needs: string[]) => ({
      id,
      title,
      description,
      kind,
      needsApproval: kind === 'gate',
      uses: null,
      needs,
      condition: null,
      compensable: false,
    });
    expect(gated).toEqual({
      name: 'gated_change',
      title: 'Gated change',
      description: 'Plans a restart, waits for approval with a colour, applies it.',
      version: 1,
      hash: null,
      builtIn: false,
      inputs: [{ key: 'service', label: 'Service', type: 'text', required: true, pattern: '^[a-z-]+$' }],
      steps: [
        step('prepare', 'Prepare', 'Looks at the service.', 'automatic', []),
        step('review', 'Review restart', 'Restart the service on its hosts once approved.', 'gate', [
          'prepare',
        ]),
        step('finish', 'Finish', 'Reports the colour.', 'automatic', ['review']),
      ],
    });
    const deploy = defs.find((d) => d.name === 'deploy_application')!;
    expect(deploy).toMatchObject({
      version: 1,
      builtIn: true,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(deploy.steps.map((s) => [s.id, s.uses, s.needs, s.compensable])).toEqual([
      ['validate_repository', 'fleet.resolve_ref@1', [], false],
      ['select_agent', 'fleet.select_agent@1', ['validate_repository'], false],
      ['create_job', 'fleet.deploy_job@1', ['select_agent'], true],
      ['monitor_job', 'fleet.wait_job@1', ['create_job'], false],
    ]);
    expect(defs.find((d) => d.name === 'register_agent')!.inputs[0]).toMatchObject({
      key: 'hostname',
      type: 'hostname',
      required: true,
    });
  });
});

describe('running workflows', () => {
  it('start answers 201 with the run; automatic steps complete in order with a gap-free event trail', async () => {
    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/start?workflow_name=auto_chain`, {
      who: 'ops',
      count: '41',
    });
    expect(res.status).toBe(201);
    const started = res.body;
    expect(started.id).toMatch(UUID);
    expect(started).toMatchObject({
      name: 'auto_chain',
      title: 'Automatic chain',
      version: 3,
      status: 'running',
      progress: 0,
      context: { who: 'ops', count: 41, steps: {} },
      currentStep: 'greet',
      error: null,
      startedBy: 'admin',
      seq: 1,
    });
    expect(started.createdAt).toMatch(ISO);
    expect(started.steps).toHaveLength(2);
    for (const step of started.steps) {
      expect(step).toMatchObject({
        status: 'pending',
        needsApproval: false,
        kind: 'automatic',
        summary: null,
        error: null,
        decisions: [],
      });
    }
    expect(started.steps.map((s) => [s.id, s.title])).toEqual([
      ['greet', 'Greet'],
      ['count', 'Count'],
    ]);

    const done = await api.waitForRun(started.id, isStatus('completed', 'failed', 'cancelled'));
    expect(done.status).toBe('completed');
    expect(done.progress).toBe(100);
    expect(done.currentStep).toBeNull();
    expect(done.steps.map((s) => [s.status, s.summary, s.error])).toEqual([
      ['completed', 'Hello ops', null],
      ['completed', 'Counted to 42 for ops', null],
    ]);
    expect(done.context).toEqual({
      who: 'ops',
      count: 41,
      greeted: 'ops',
      steps: { greet: { greeting: 'hello ops' }, count: { n: 42 } },
    });
    expect(stepOf(done, 'greet').startedAt).toMatch(ISO);
    expect(stepOf(done, 'greet').finishedAt).toMatch(ISO);

    const events = await api.events(done.id);
    expectGapFree(
      events.map((e) => e.seq),
      done.seq,
    );
    expect(await typesOf(done.id)).toEqual([
      'run.started',
      'step.started@greet',
      'step.completed@greet',
      'step.started@count',
      'step.completed@count',
      'run.completed',
    ]);
    const later = await api.events(done.id, 4);
    expect(later.map((e) => e.seq)).toEqual([5, 6]);
    expect((await api.events(done.id, 6)).length).toBe(0);
  });

  it('a gate shows its plan and input spec, and approval records by / note / input before applying', async () => {
    const started = await api.start('gated_change', { service: 'api' });
    const waiting = await api.waitForRun(started.id, isWaitingAt('review'), 'the review gate');
    expect(waiting.progress).toBe(33);
    expect(stepOf(waiting, 'prepare')).toMatchObject({ status: 'completed', summary: 'Prepared api' });
    expect(stepOf(waiting, 'review')).toMatchObject({
      status: 'awaiting_approval',
      needsApproval: true,
      kind: 'gate',
      summary: 'Will restart api on 2 hosts',
      plan: { summary: 'Will restart api on 2 hosts', data: { hosts: ['h1', 'h2'] } },
      input: { key: 'colour', label: 'Colour', type: 'choice', required: true, choices: ['blue', 'green'] },
      deadline: null,
      decisions: [],
    });
    expect(stepOf(waiting, 'finish').status).toBe('pending');

    const before = Date.now();
    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/approve`, {
      approved: true,
      user_input: ' green ',
      note: '  go ahead  ',
      step_id: 'review',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('running');
    expect(stepOf(res.body, 'review').status).toBe('in_progress');
    const decisions = stepOf(res.body, 'review').decisions;
    expect(decisions).toEqual([
      {
        by: 'admin',
        decision: 'approved',
        note: 'go ahead',
        input: 'green',
        at: expect.stringMatching(ISO),
      },
    ]);
    expect(Date.parse(decisions[0]!.at)).toBeGreaterThanOrEqual(before - 5);

    const done = await api.waitForRun(started.id, isStatus('completed', 'failed', 'cancelled'));
    expect(done.status).toBe('completed');
    expect(done.progress).toBe(100);
    expect(stepOf(done, 'review')).toMatchObject({
      status: 'completed',
      summary: 'Restarted api in green (approved by admin)',
      data: { colour: 'green', hosts: ['h1', 'h2'], note: 'go ahead' },
      decisions,
    });
    expect(stepOf(done, 'finish').summary).toBe('Live in green');
    expect(done.context.colour).toBe('green');
    const types = await typesOf(done.id);
    expect(types).toEqual([
      'run.started',
      'step.started@prepare',
      'step.completed@prepare',
      'step.started@review',
      'step.awaiting_approval@review',
      'step.approved@review',
      'step.completed@review',
      'step.started@finish',
      'step.completed@finish',
      'run.completed',
    ]);
    expectGapFree(
      (await api.events(done.id)).map((e) => e.seq),
      done.seq,
    );
  });

  it('rejecting a gate cancels the run with the reason shown, and nothing after it runs', async () => {
    const started = await api.start('gated_change', { service: 'web' });
    await api.waitForRun(started.id, isWaitingAt('review'), 'the review gate');
    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/approve`, {
      approved: false,
      note: 'too risky on a Friday',
    });
    expect(res.status, res.text).toBe(200);
    const reason = 'Rejected by admin at step "Review restart": too risky on a Friday';
    expect(res.body).toMatchObject({ status: 'cancelled', error: reason, progress: 33, currentStep: null });
    expect(stepOf(res.body, 'review')).toMatchObject({
      status: 'cancelled',
      error: reason,
      decisions: [
        {
          by: 'admin',
          decision: 'rejected',
          note: 'too risky on a Friday',
          at: expect.stringMatching(ISO),
        },
      ],
    });
    expect(stepOf(res.body, 'finish')).toMatchObject({ status: 'cancelled', summary: null });
    expect(res.body.context.steps).toEqual({ prepare: { hosts: ['h1', 'h2'] } });
    expect(await api.run(started.id)).toEqual(res.body);
    expect((await typesOf(started.id)).at(-1)).toBe('step.rejected@review');

    const again = await api.post(`${WORKFLOWS}/${started.id}/approve`, {
      approved: true,
      user_input: 'blue',
    });
    expectError(again, 409, 'conflict');
  });

  it('an input step validates the typed value on the server and resumes with it', async () => {
    const started = await api.start('ask_host');
    const waiting = await api.waitForRun(started.id, isWaitingAt('pick_host'), 'the input step');
    expect(stepOf(waiting, 'pick_host')).toMatchObject({
      status: 'awaiting_input',
      needsApproval: false,
      kind: 'input',
      summary: 'Waiting for Target host',
      input: { key: 'target_host', label: 'Target host', type: 'hostname', required: true },
    });
    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/input`, {
      value: 'prod-server-03',
      note: 'from the ticket',
      step_id: 'pick_host',
    });
    expect(res.status, res.text).toBe(200);
    expect(stepOf(res.body, 'pick_host')).toMatchObject({
      status: 'completed',
      summary: 'Target host: prod-server-03',
      decisions: [
        { by: 'admin', decision: 'input', note: 'from the ticket', at: expect.stringMatching(ISO) },
      ],
    });
    const done = await api.waitForRun(started.id, isStatus('completed', 'failed', 'cancelled'));
    expect(done.status).toBe('completed');
    expect(done.context.target_host).toBe('prod-server-03');
    expect(stepOf(done, 'use_host').summary).toBe('Using prod-server-03');
    expect(await typesOf(done.id)).toContain('step.input_received@pick_host');
  });

  it('cancel stops the step in flight, records the reason, and the run stays cancelled', async () => {
    const started = await api.start('slow_step', { ms: 700 });
    const busy = await api.waitForRun(
      started.id,
      (r) => stepOf(r, 'wait').status === 'in_progress',
      'the slow step',
    );
    expect(busy).toMatchObject({ status: 'running', progress: 50, currentStep: 'wait' });

    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/cancel`, {
      reason: ' maintenance window closed ',
    });
    expect(res.status, res.text).toBe(200);
    const error = 'Cancelled by admin: maintenance window closed';
    expect(res.body).toMatchObject({ status: 'cancelled', error, progress: 50, currentStep: null });
    expect(stepOf(res.body, 'quick').status).toBe('completed');
    expect(stepOf(res.body, 'wait')).toMatchObject({ status: 'cancelled', error, summary: null });

    // Longer than the step would have taken: its result must not land on the cancelled run.
    await new Promise((r) => setTimeout(r, 900));
    expect(await api.run(started.id)).toEqual(res.body);
    const events = await api.events(started.id);
    expect(events.at(-1)).toMatchObject({
      type: 'run.cancelled',
      stepId: 'wait',
      seq: res.body.seq,
      detail: { reason: 'maintenance window closed' },
    });
    expectGapFree(
      events.map((e) => e.seq),
      res.body.seq,
    );
  });

  it('lists active and past runs, newest first, filtered by name and limited', async () => {
    const done = await api.start('auto_chain', { who: 'lister' });
    await api.waitForRun(done.id, isStatus('completed'), 'completion');
    const waiting = await api.start('two_gates');
    await api.waitForRun(waiting.id, isWaitingAt('first_gate'), 'the first gate');

    const list = async (query: string) => {
      const res = await api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}${query}`);
      expect(res.status, res.text).toBe(200);
      return res.body.runs;
    };
    const active = await list('?state=active');
    expect(active.map((r) => r.id)).toContain(waiting.id);
    expect(active.map((r) => r.id)).not.toContain(done.id);
    expect(active.every((r) => r.status === 'running' || r.status === 'waiting')).toBe(true);
    expect((await list('')).map((r) => r.id)).toEqual(active.map((r) => r.id)); // active is the default

    const past = await list('?state=past');
    expect(past.map((r) => r.id)).toContain(done.id);
    expect(past.map((r) => r.id)).not.toContain(waiting.id);
    expect(past.every((r) => ['completed', 'failed', 'cancelled'].includes(r.status))).toBe(true);

    const all = await list('?state=all');
    expect(all.length).toBe(new Set([...active, ...past].map((r) => r.id)).size);
    const created = all.map((r) => r.createdAt);
    expect(created).toEqual([...created].sort().reverse());

    const named = await list('?state=all&name=auto_chain');
    expect(named.length).toBeGreaterThanOrEqual(2);
    expect(named.every((r) => r.name === 'auto_chain')).toBe(true);
    expect((await list('?state=all&limit=1')).map((r) => r.id)).toEqual([waiting.id]);

    await api.post(`${WORKFLOWS}/${waiting.id}/cancel`, {});
  });

  it('concurrent approvals of one gate (step_id given): one wins, the other gets 409, one decision is recorded', async () => {
    const started = await api.start('two_gates');
    await api.waitForRun(started.id, isWaitingAt('first_gate'), 'the first gate');
    const approve = (note: string) =>
      api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/approve`, {
        approved: true,
        note,
        user_input: note,
        step_id: 'first_gate',
      });
    const answers = await Promise.all([approve('one'), approve('two')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expectError(answers.find((a) => a.status === 409)!, 409, 'conflict');
    const winner = answers.find((a) => a.status === 200)!.body;

    const atSecond = await api.waitForRun(started.id, isWaitingAt('second_gate'), 'the second gate');
    const first = stepOf(atSecond, 'first_gate');
    expect(first.decisions).toHaveLength(1);
    expect(first.decisions[0]).toMatchObject({ note: stepOf(winner, 'first_gate').decisions[0]!.note });
    expect(first.summary).toBe('First applied by admin');
    expect(atSecond.progress).toBe(50);
    expect((await typesOf(started.id)).filter((t) => t === 'step.approved@first_gate')).toHaveLength(1);

    // A gate without an input spec takes optional free text, nothing else.
    const before = await api.run(started.id);
    expectFieldError(
      await api.post(`${WORKFLOWS}/${started.id}/approve`, { approved: true, user_input: 5 }),
      'user_input',
    );
    expectFieldError(
      await api.post(`${WORKFLOWS}/${started.id}/approve`, { approved: true, user_input: 'x'.repeat(2001) }),
      'user_input',
    );
    expect(await api.run(started.id)).toEqual(before);
    const ok = await api.post(`${WORKFLOWS}/${started.id}/approve`, {
      approved: true,
      user_input: 'ship it',
    });
    expect(ok.status, ok.text).toBe(200);
    const done = await api.waitForRun(started.id, isStatus('completed', 'failed', 'cancelled'));
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'second_gate').data).toEqual({ input: 'ship it' });
  });
});

describe('built-in workflows on an empty fleet report what is really there, nothing made up', () => {
  const finished = isStatus('completed', 'failed', 'cancelled');

  const allRuns = async () =>
    (await api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&limit=500`)).body.runs.length;

  it('deploy_application refuses an unregistered repository at start, naming the field; no run is created', async () => {
    const before = await allRuns();
    const res = await api.post(`${WORKFLOWS}/start?workflow_name=deploy_application`, {
      repository: 'myorg/frontend',
      ref: 'main',
    });
    expectFieldError(res, 'repository');
    expect((res.body as { error: { message: string } }).error.message).toBe(
      'cannot start deploy_application: repository myorg/frontend is not registered',
    );
    expect(await allRuns()).toBe(before);
  });

  describe('with a registered repository', () => {
    let tmp: string;
    beforeAll(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'deploybot-api-'));
      const repo = await createDeployRepo(join(tmp, 'app'));
      const res = await api.post('/v1/repositories', {
        name: 'myorg/app',
        url: repo.url,
        default_ref: 'main',
      });
      expect(res.status, res.text).toBe(201);
    });
    afterAll(async () => {
      await rm(tmp, { recursive: true, force: true });
    });

    it('deploy_application refuses a ref the remote does not have at start, naming the field', async () => {
      const before = await allRuns();
      const res = await api.post(`${WORKFLOWS}/start?workflow_name=deploy_application`, {
        repository: 'myorg/app',
        ref: 'no-such-branch',
      });
      expectFieldError(res, 'ref');
      expect((res.body as { error: { message: string } }).error.message).toMatch(
        /^cannot start deploy_application: ref "no-such-branch" not found in /,
      );
      expect(await allRuns()).toBe(before);
    });

    it('deploy_application resolves the ref before any gate, then fails at select_agent: no agent is registered', async () => {
      const started = await api.start('deploy_application', { repository: 'myorg/app', ref: 'main' });
      expect(started.title).toBe('Deploy myorg/app@main');
      const run = await api.waitForRun(started.id, finished);
      expect(run.status).toBe('failed');
      const error = 'no online agent to deploy to (none registered: run register_agent first)';
      expect(run.error).toBe(error);
      expect(run.steps.map((s) => s.id)).toEqual([
        'validate_repository',
        'select_agent',
        'create_job',
        'monitor_job',
      ]);
      expect(stepOf(run, 'validate_repository')).toMatchObject({ status: 'completed' });
      expect(run.context.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(stepOf(run, 'select_agent')).toMatchObject({
        status: 'failed',
        error,
        summary: null,
        plan: null,
      });
      for (const id of ['create_job', 'monitor_job']) {
        expect(stepOf(run, id)).toMatchObject({ status: 'pending', summary: null, data: null });
      }
      // No agent was chosen: the title stays repository@ref, in the list as on the run.
      expect(run.title).toBe('Deploy myorg/app@main');
      const listed = await api.get<{ runs: WorkflowRun[] }>(
        `${WORKFLOWS}?state=past&name=deploy_application`,
      );
      expect(listed.body.runs.find((r) => r.id === run.id)?.title).toBe('Deploy myorg/app@main');
      expect(await typesOf(run.id)).toEqual([
        'run.started',
        'step.started@validate_repository',
        'step.completed@validate_repository',
        'step.started@select_agent',
        'step.failed@select_agent',
      ]);
    });
  });

  it('health_check completes with a report of an empty fleet', async () => {
    const started = await api.start('health_check', { stuck_after_minutes: 10 });
    const run = await api.waitForRun(started.id, finished);
    expect(run.status, run.error ?? '').toBe('completed');
    expect(run.progress).toBe(100);
    expect(stepOf(run, 'check_agents')).toMatchObject({
      summary: 'No agents registered.',
      data: { agents: [] },
    });
    expect(stepOf(run, 'check_jobs').summary).toBe(
      '0 job(s) running; 0 stuck beyond 10 min; 0 waiting for an agent.',
    );
    expect(stepOf(run, 'analyse_metrics').summary).toMatch(/^1h: 0 job\(s\), no success rate yet/);
    const report = stepOf(run, 'generate_report');
    expect(report.summary).toBe(
      'Report ready with 1 recommendation(s): No agents are registered: run the register_agent workflow for each server.',
    );
    expect(report.data).toMatchObject({
      markdown: expect.any(String),
      json: {
        agents: [],
        recommendations: ['No agents are registered: run the register_agent workflow for each server.'],
      },
    });
  });

  it('troubleshoot_failure finds nothing to troubleshoot and skips the rest', async () => {
    const run = await api.waitForRun((await api.start('troubleshoot_failure')).id, finished);
    expect(run.status, run.error ?? '').toBe('completed');
    expect(run.steps.map((s) => [s.id, s.status])).toEqual([
      ['identify_issue', 'completed'],
      ['gather_logs', 'skipped'],
      ['suggest_fix', 'skipped'],
      ['verify_fix', 'skipped'],
    ]);
    expect(stepOf(run, 'identify_issue').summary).toBe(
      'No failed jobs in the last 24 h that are not already fixed: nothing to troubleshoot.',
    );
  });

  it('troubleshoot_failure refuses a job id that names no job at start, naming the field', async () => {
    const before = await allRuns();
    const res = await api.post(`${WORKFLOWS}/start?workflow_name=troubleshoot_failure`, {
      job_id: MISSING_RUN,
    });
    expectFieldError(res, 'job_id');
    expect((res.body as { error: { message: string } }).error.message).toBe(
      `cannot start troubleshoot_failure: no job ${MISSING_RUN}`,
    );
    expect(await allRuns()).toBe(before);
  });

  it('register_agent refuses labels that do not parse at start, before any join token exists', async () => {
    const before = await allRuns();
    for (const labels of ['region', 'region=eu, tier', '=eu']) {
      const res = await api.post(`${WORKFLOWS}/start?workflow_name=register_agent`, {
        hostname: 'web-08',
        labels,
      });
      expectFieldError(res, 'labels');
    }
    expect(await allRuns()).toBe(before);
  });

  it('register_agent issues a one-time join token and waits for the agent; cancel ends the wait', async () => {
    const started = await api.start('register_agent', { hostname: 'web-07', environment: 'staging' });
    const waiting = await api.waitForRun(
      started.id,
      (r) => stepOf(r, 'check_connectivity').status === 'awaiting_event' || finished(r),
      'the connectivity check',
    );
    // Waiting for the agent is a durable wait: the run is parked, nothing is held in memory.
    expect(waiting.status).toBe('waiting');
    expect(stepOf(waiting, 'check_connectivity').wait?.key).toMatch(/^enrollment:/);
    const validated = stepOf(waiting, 'validate_hostname');
    expect(validated.status).toBe('completed');
    expect(validated.summary).toMatch(/^web-07 is a valid host name and not registered yet\./);
    const command = (validated.data as { command: string }).command;
    // The token is sealed: the command carries a placeholder, and only the run's starter may reveal it.
    expect(command).toMatch(
      /^deploybot-agent --controller http:\/\/127\.0\.0\.1:\d+ --hostname web-07 --token \{\{join_token\}\}$/,
    );
    expect(waiting.context.join_token).toBe('••••••');
    const revealed = await api.post<{ secrets: { join_token: string } }>(`${WORKFLOWS}/${started.id}/reveal`);
    expect(revealed.status, revealed.text).toBe(200);
    expect(revealed.body.secrets.join_token).toMatch(/^dbj_\S{40,}$/);

    const cancelled = await api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/cancel`, {
      reason: 'wrong host',
    });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      error: 'Cancelled by admin: wrong host',
    });
    expect(stepOf(cancelled.body, 'check_connectivity').status).toBe('cancelled');
  });
});

describe('bad input is refused with the one error shape and changes nothing', () => {
  /** Runs in every state a request could find: at a gate, at an input step, busy in a step, finished. */
  const runs: RunsUnderTest = { gate: '', input: '', busy: '', done: '' };

  beforeAll(async () => {
    runs.gate = (await api.start('gated_change', { service: 'billing' })).id;
    runs.input = (await api.start('ask_host')).id;
    // Busy for longer than this whole block can take on a loaded machine: it is cancelled at the end.
    runs.busy = (await api.start('slow_step', { ms: 600_000 })).id;
    runs.done = (await api.start('auto_chain', { who: 'done' })).id;
    await api.waitForRun(runs.gate, isWaitingAt('review'), 'the review gate');
    await api.waitForRun(runs.input, isWaitingAt('pick_host'), 'the input step');
    await api.waitForRun(runs.busy, (r) => stepOf(r, 'wait').status === 'in_progress', 'the slow step');
    await api.waitForRun(runs.done, isStatus('completed'), 'completion');
  });

  /** Every run, its events, and how many runs exist. */
  async function everything() {
    const snap: Record<string, unknown> = { count: await api.runCount() };
    for (const [key, id] of Object.entries(runs))
      snap[key] = { run: await api.run(id), events: await api.events(id) };
    return snap;
  }

  it.each(BAD_REQUESTS)('$name → $status $code', async ({ send, status, code, field, message }) => {
    const before = await everything();
    const res = await send({ api, runs });
    const error = expectError(res, status, code);
    if (field) expectFieldError(res, field, code);
    if (message) expect(error.message).toMatch(message);
    expect(await everything()).toEqual(before);
  });

  it('after all of that the same runs still take well-formed commands', async () => {
    const approved = await api.post(`${WORKFLOWS}/${runs.gate}/approve`, {
      approved: true,
      user_input: 'blue',
    });
    expect(approved.status, approved.text).toBe(200);
    const input = await api.post(`${WORKFLOWS}/${runs.input}/input`, { value: 'web-01' });
    expect(input.status, input.text).toBe(200);
    const cancelled = await api.post<WorkflowRun>(`${WORKFLOWS}/${runs.busy}/cancel`, {});
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', error: 'Cancelled by admin' });
    expect((await api.waitForRun(runs.gate, isStatus('completed', 'failed'))).status).toBe('completed');
    expect((await api.waitForRun(runs.input, isStatus('completed', 'failed'))).context.target_host).toBe(
      'web-01',
    );
    for (const id of Object.values(runs)) {
      const run = await api.run(id);
      expectGapFree(
        (await api.events(id)).map((e) => e.seq),
        run.seq,
      );
    }
  });
});
