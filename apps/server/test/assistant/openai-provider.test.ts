import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AiStatusDto, ChatMessageDto, ChatSessionDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../../src/testing/test-security';
import { createDeployRepo } from '../fleet/support/git-repo';
import { type ApiClient, isWaitingAt } from '../helpers/http-client';
import { ask, type ClientSocket, connectClient, dataOf } from '../helpers/socket-client';
import { type AssistantServer, startAssistantServer } from './support/assistant-server';
import { ChatLog } from './support/chat-client';
import { type Chunk, FakeOpenAi, toolCall } from './support/fake-openai';

const API_KEY = 'sk-test-0123456789abcdefghijklmnop';
let fake: FakeOpenAi;
let s: AssistantServer;
let alice: ApiClient;
let socket: ClientSocket;
let log: ChatLog;

beforeAll(async () => {
  fake = await new FakeOpenAi().start();
  s = await startAssistantServer({
    provider: 'openai',
    fallback: 'none',
    openai: {
      apiKey: API_KEY,
      baseURL: fake.url,
      model: 'fake-model',
      timeoutMs: 1000,
      maxToolRounds: 3,
      maxRetries: 0,
    },
  });
  alice = s.as('alice');
  socket = await connectClient(s.url, s.tokens.alice);
  log = new ChatLog(socket);
});
afterAll(async () => {
  socket?.disconnect();
  await s?.close();
  await fake?.close();
});
beforeEach(() => {
  expect(fake.pending, 'every scripted answer of the previous test was used').toBe(0);
});

const text = (...pieces: string[]): Chunk[] => pieces.map((content) => ({ content }));

async function newSession(): Promise<ChatSessionDto> {
  const session = (await alice.post<ChatSessionDto>('/v1/ai/sessions', {})).body;
  dataOf(await ask(socket, 'chat:subscribe', { sessionId: session.id }));
  return session;
}

async function say(sessionId: string, message: string): Promise<ChatMessageDto> {
  const ack = dataOf(await ask(socket, 'chat:send', { sessionId, message }));
  return log.waitFor((m) => m.id === ack.replyId && m.status !== 'streaming', `reply to "${message}"`);
}

describe('openai provider against an OpenAI-compatible server on loopback', () => {
  it('streams text deltas to the socket and stores the whole answer', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    fake.enqueue({ kind: 'stream', chunks: text('Hello', ', ', 'operator', '.'), delayMs: 15 });
    const reply = await say(session.id, 'hi there');
    expect(reply).toMatchObject({ status: 'complete', content: 'Hello, operator.', toolCalls: [] });
    expect(log.deltas.filter((d) => d.messageId === reply.id).map((d) => d.delta)).toEqual([
      'Hello',
      ', ',
      'operator',
      '.',
    ]);
    const req = fake.requests[before]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.body).toMatchObject({ model: 'fake-model', stream: true });
    expect(req.body.messages[0]).toMatchObject({ role: 'system' });
    expect(req.body.messages[0]!.content).toMatch(/You can never approve or reject a step/);
    expect(req.body.messages[1]!.content).toMatch(/Current user: alice\..*none yet/s);
    expect(req.body.messages.at(-1)).toEqual({ role: 'user', content: 'hi there' });
    const tools = req.body.tools!.map((t) => t.function.name);
    expect(tools).toEqual(
      expect.arrayContaining(['list_agents', 'start_workflow', 'propose_approval', 'job_logs']),
    );
    expect(tools.filter((n) => /approv|decid|reject/.test(n))).toEqual(['propose_approval']);
    const start = req.body.tools!.find((t) => t.function.name === 'start_workflow')!.function;
    expect(start.parameters).toMatchObject({ type: 'object', properties: { workflow: { type: 'string' } } });
  });

  it('runs tool calls whose arguments arrive split across chunks, feeds the results back and answers', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    fake.enqueue(
      {
        kind: 'stream',
        chunks: [
          ...toolCall(0, 'call_a', 'list_agents', '{"status":"offline"}', 4),
          ...toolCall(1, 'call_b', 'list_repositories', '{}', 1),
        ],
      },
      { kind: 'stream', chunks: text('No agent is offline.') },
    );
    const reply = await say(session.id, 'which agents are offline?');
    expect(reply.status).toBe('complete');
    expect(reply.content).toBe('No agent is offline.');
    expect(reply.toolCalls).toEqual([
      {
        id: 'call_a',
        name: 'list_agents',
        arguments: { status: 'offline' },
        result: { total: 0, matching: 0, agents: [] },
        error: null,
      },
      { id: 'call_b', name: 'list_repositories', arguments: {}, result: { repositories: [] }, error: null },
    ]);
    const second = fake.requests[before + 1]!.body.messages;
    expect(second.at(-3)).toMatchObject({
      role: 'assistant',
      tool_calls: [
        {
          id: 'call_a',
          type: 'function',
          function: { name: 'list_agents', arguments: '{"status":"offline"}' },
        },
        { id: 'call_b', type: 'function', function: { name: 'list_repositories', arguments: '{}' } },
      ],
    });
    expect(second.at(-2)).toEqual({
      role: 'tool',
      tool_call_id: 'call_a',
      content: JSON.stringify({ total: 0, matching: 0, agents: [] }),
    });
  });

  it('answers malformed or invalid tool arguments with an error result and goes on', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'stream', chunks: toolCall(0, 'call_bad', 'get_agent', '{"agent": "web-01"', 2) },
      { kind: 'stream', chunks: toolCall(0, 'call_worse', 'get_agent', '{"agent": 5}') },
      { kind: 'stream', chunks: text('I could not read that agent.') },
    );
    const reply = await say(session.id, "what's on web-01?");
    expect(reply.status).toBe('complete');
    expect(reply.content).toBe('I could not read that agent.');
    expect(reply.toolCalls[0]).toMatchObject({
      id: 'call_bad',
      name: 'get_agent',
      arguments: '{"agent": "web-01"',
      result: null,
    });
    expect(reply.toolCalls[0]!.error).toMatch(/^the arguments were not valid JSON \(.+\); nothing was run/);
    expect(reply.toolCalls[1]).toMatchObject({ id: 'call_worse', arguments: { agent: 5 }, result: null });
    expect(reply.toolCalls[1]!.error).toMatch(/^invalid arguments for get_agent: agent: /);
    const fed = fake.requests[before + 1]!.body.messages.at(-1)!;
    expect(fed).toMatchObject({ role: 'tool', tool_call_id: 'call_bad' });
    expect(JSON.parse(fed.content!).error).toMatch(/not valid JSON/);
  });

  it('stops a tool loop at its bound', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    for (let i = 0; i < 3; i++)
      fake.enqueue({ kind: 'stream', chunks: toolCall(0, `call_${i}`, 'deployment_stats', '{}') });
    const reply = await say(session.id, 'stats forever');
    expect(fake.requests.length - before).toBe(3);
    expect(reply.status).toBe('complete');
    expect(reply.toolCalls).toHaveLength(3);
    expect(reply.content).toBe('\n\n_(Stopped after 3 rounds of tool calls without a final answer.)_');
  });

  it.each([
    [
      401,
      /^⚠ The AI provider \(127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\)\. Check OPENAI_API_KEY\.$/,
    ],
    [
      429,
      /^⚠ The AI provider \(127\.0\.0\.1:\d+\) is rate limiting requests \(HTTP 429\)\. Try again in a moment\.$/,
    ],
    [500, /^⚠ The AI provider \(127\.0\.0\.1:\d+\) failed \(HTTP 500\)\.$/],
    [503, /^⚠ The AI provider \(127\.0\.0\.1:\d+\) failed \(HTTP 503\)\.$/],
  ])('turns HTTP %i into a clear chat message', async (status, message) => {
    const session = await newSession();
    fake.enqueue({ kind: 'status', status, message: `upstream says ${API_KEY} is wrong` });
    const reply = await say(session.id, 'hello?');
    expect(reply.status).toBe('error');
    expect(reply.content).toMatch(message);
    expect(reply.content).not.toContain(API_KEY);
    const ai = (await alice.get<AiStatusDto>('/v1/ai/status')).body;
    expect(ai).toMatchObject({ provider: 'openai', model: 'fake-model', fallback: null });
    expect(ai.ready).toBe(status !== 401);
    expect(ai.reason).toMatch(new RegExp(`HTTP ${status}`));
  });

  it('says so when the server is unreachable, silent, or stalls mid-answer, and recovers after', async () => {
    const session = await newSession();
    fake.enqueue({ kind: 'destroy' });
    const down = await say(session.id, 'anyone there?');
    expect(down).toMatchObject({ status: 'error' });
    expect(down.content).toMatch(/^⚠ The AI provider \(127\.0\.0\.1:\d+\) could not be reached\.$/);

    fake.enqueue({ kind: 'hang' });
    const started = Date.now();
    const silent = await say(session.id, 'still there?');
    expect(silent.content).toMatch(/^⚠ The AI provider \(127\.0\.0\.1:\d+\) did not answer within 1 s\.$/);
    expect(Date.now() - started).toBeLessThan(5000);

    fake.enqueue({ kind: 'stall', chunks: text('Half an ans') });
    const stalled = await say(session.id, 'tell me');
    expect(stalled.status).toBe('error');
    expect(stalled.content).toMatch(/^Half an ans\n\n⚠ The AI provider .* did not answer within 1 s\.$/);

    fake.enqueue({ kind: 'stream', chunks: text('Back.') });
    expect((await say(session.id, 'and now?')).content).toBe('Back.');
    expect((await alice.get<AiStatusDto>('/v1/ai/status')).body).toMatchObject({ ready: true, reason: null });
  });

  it('stops generating on chat:stop and keeps what was written', async () => {
    const session = await newSession();
    fake.enqueue({
      kind: 'stream',
      chunks: text(...Array.from({ length: 40 }, (_, i) => `w${i} `)),
      delayMs: 50,
    });
    const ack = dataOf(
      await ask(socket, 'chat:send', { sessionId: session.id, message: 'write a long poem' }),
    );
    await new Promise<void>((resolve) => {
      const check = () => (log.streamed(ack.replyId).length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    // A second message while the first reply is written is refused.
    const busy = await ask(socket, 'chat:send', { sessionId: session.id, message: 'and another' });
    expect(busy).toMatchObject({ error: { code: 'conflict' } });
    expect(dataOf(await ask(socket, 'chat:stop', { sessionId: session.id, messageId: ack.replyId }))).toEqual(
      {
        ok: true,
      },
    );
    const stopped = await log.waitFor(
      (m) => m.id === ack.replyId && m.status !== 'streaming',
      'stopped reply',
    );
    expect(stopped.status).toBe('stopped');
    expect(stopped.content.length).toBeGreaterThan(0);
    expect(stopped.content.length).toBeLessThan(40 * 4);
    const stored = (await alice.get<{ messages: ChatMessageDto[] }>(`/v1/ai/sessions/${session.id}/history`))
      .body.messages;
    expect(stored.at(-1)).toEqual(stopped);
    const again = await ask(socket, 'chat:stop', { sessionId: session.id, messageId: ack.replyId });
    expect(again).toMatchObject({ error: { code: 'conflict' } });
  });

  it('shows the model the last 20 messages and the state of this conversation’s workflows', async () => {
    const session = await newSession();
    for (let i = 1; i <= 11; i++) await say(session.id, `message ${i}`);
    const run = (
      await alice.post<WorkflowRun>(`/v1/ai/sessions/${session.id}/runs?workflow_name=two_gates`, {})
    ).body;
    await alice.waitForRun(run.id, isWaitingAt('first_gate'), 'gate');
    await s.app.assistant.narrator.idle();
    const before = fake.requests.length;
    await say(session.id, 'what now?');
    const messages = fake.requests[before]!.body.messages;
    const conversation = messages.filter(
      (m) =>
        m.role !== 'system' || (!m.content?.startsWith('You are') && !m.content?.startsWith('Current user')),
    );
    expect(conversation).toHaveLength(20);
    expect(conversation.at(-1)).toEqual({ role: 'user', content: 'what now?' });
    expect(conversation.some((m) => m.content === 'message 1')).toBe(false);
    expect(conversation.map((m) => m.content)).toContain('message 11');
    expect(conversation.some((m) => m.content?.includes('[APPROVAL NEEDED]'))).toBe(true);
    const state = messages[1]!.content!;
    const runs = JSON.parse(state.slice(state.indexOf('[')));
    expect(runs).toEqual([
      expect.objectContaining({
        id: run.id,
        name: 'two_gates',
        status: 'waiting',
        currentStep: 'first_gate',
        waiting: expect.objectContaining({ stepId: 'first_gate', kind: 'approval', summary: 'First plan' }),
      }),
    ]);
  });
});

describe('a model cannot approve', () => {
  it('leaves the gate waiting whatever the model calls or says; only the person’s own "approve" decides', async () => {
    const session = await newSession();
    fake.enqueue(
      {
        kind: 'stream',
        chunks: toolCall(0, 'call_start', 'start_workflow', '{"workflow":"two_gates","context":{}}'),
      },
      { kind: 'stream', chunks: text('Started the two gates workflow.') },
    );
    const started = await say(session.id, 'start two gates');
    const runId = started.runId!;
    expect(started.toolCalls[0]).toMatchObject({ name: 'start_workflow', error: null });
    await alice.waitForRun(runId, isWaitingAt('first_gate'), 'first gate');

    const args = JSON.stringify({ run_id: runId, step_id: 'first_gate', approved: true });
    fake.enqueue(
      {
        kind: 'stream',
        chunks: [
          ...toolCall(0, 'c1', 'approve_step', args),
          ...toolCall(1, 'c2', 'decide', args),
          ...toolCall(2, 'c3', 'approve', args),
          ...toolCall(3, 'c4', 'submit_step_input', JSON.stringify({ run_id: runId, value: 'yes' })),
          ...toolCall(4, 'c5', 'propose_approval', JSON.stringify({ run_id: runId })),
        ],
      },
      { kind: 'stream', chunks: text('Approved! yes, approve. approved') },
    );
    const reply = await say(session.id, 'please take care of it');
    for (const call of reply.toolCalls.slice(0, 3)) {
      expect(call.error).toMatch(
        /^unknown tool "(approve_step|decide|approve)"; .*Approving or rejecting a step is a person's decision/,
      );
    }
    expect(reply.toolCalls[3]!.error).toBe('step "first_gate" is waiting for an approval');
    expect(reply.toolCalls[4]).toMatchObject({
      name: 'propose_approval',
      error: null,
      result: { proposed: true },
    });
    expect(reply.quickActions).toEqual([
      { kind: 'approve', label: 'Approve', runId, stepId: 'first_gate' },
      { kind: 'reject', label: 'Reject', runId, stepId: 'first_gate' },
    ]);
    expect(reply.content).toBe('Approved! yes, approve. approved');
    const still = await alice.run(runId);
    expect(still).toMatchObject({ status: 'waiting', currentStep: 'first_gate' });
    expect(still.steps[0]!.decisions).toEqual([]);

    // The person's own message is read by the server; the model is not even asked.
    const before = fake.requests.length;
    const decided = await say(session.id, 'yes, approve');
    expect(fake.requests.length).toBe(before);
    expect(decided.content).toBe('✓ Approved “First gate” of **Two gates**. Continuing…');
    const moved = await alice.waitForRun(runId, isWaitingAt('second_gate'), 'second gate');
    expect(moved.steps[0]!.decisions).toEqual([
      expect.objectContaining({ by: 'alice', decision: 'approved' }),
    ]);
  });
});

describe('model-written explanations (item 6)', () => {
  it('puts the model’s explanation next to the health report’s facts, and the template when the model fails', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    fake.enqueue({ kind: 'text', text: 'All quiet: no agents yet, nothing running.' });
    const run = (
      await alice.post<WorkflowRun>(`/v1/ai/sessions/${session.id}/runs?workflow_name=health_check`, {})
    ).body;
    const done = await alice.waitForRun(run.id, (r) => r.status === 'completed', 'report');
    const data = done.steps.find((st) => st.id === 'generate_report')!.data as {
      markdown: string;
      explanation: { text: string; source: string };
      json: { recommendations: string[] };
    };
    expect(data.explanation).toEqual({ text: 'All quiet: no agents yet, nothing running.', source: 'model' });
    expect(data.json.recommendations[0]).toMatch(/No agents are registered/);
    expect(data.markdown).toMatch(
      /## Recommendations[\s\S]*## Explanation\n\nAll quiet: no agents yet, nothing running\.\n\n_Written by the AI model from the facts above\._/,
    );
    const req = fake.requests[before]!.body;
    expect(req.stream).toBeFalsy();
    expect(req.messages[1]!.content).toMatch(/^Topic: fleet health report\.\nFacts: \{"agents":\[\],"jobs":/);

    fake.enqueue({ kind: 'status', status: 500 });
    const second = (
      await alice.post<WorkflowRun>(`/v1/ai/sessions/${session.id}/runs?workflow_name=health_check`, {})
    ).body;
    const done2 = await alice.waitForRun(second.id, (r) => r.status === 'completed', 'report 2');
    const fallback = (
      done2.steps.find((st) => st.id === 'generate_report')!.data as {
        explanation: { text: string; source: string };
      }
    ).explanation;
    expect(fallback.source).toBe('template');
    expect(fallback.text).toMatch(
      /^No agents are registered yet\. 0 jobs are running\. .* \(The model could not write this explanation — The AI provider \(127\.0\.0\.1:\d+\) failed \(HTTP 500\)\. — so this is the built-in summary of the facts\.\)$/,
    );
  });

  it('never shows the model a credential', () => {
    const everything = JSON.stringify(fake.requests.map((r) => r.body));
    for (const secret of [API_KEY, TEST_ADMIN_TOKEN, ...Object.values(s.tokens)])
      expect(everything).not.toContain(secret);
  });
});

describe('tool arguments are taken exactly as the model wrote them (issue 12)', () => {
  let repoDir: string;
  beforeAll(async () => {
    repoDir = await mkdtemp(join(tmpdir(), 'deploybot-openai-args-'));
    const repo = await createDeployRepo(join(repoDir, 'hello-app.git'), { bare: true });
    await s.app.fleet.repositories.ensure(
      { name: 'demo/hello-app', url: repo.url, defaultRef: 'main' },
      'tests',
    );
  });
  afterAll(async () => {
    if (repoDir) await rm(repoDir, { recursive: true, force: true });
  });

  const runsOf = async (): Promise<WorkflowRun[]> =>
    (await alice.get<{ runs: WorkflowRun[] }>('/v1/ai/workflows?state=all&limit=50')).body.runs.filter(
      (r) => r.name === 'deploy_application',
    );

  it('starts a deploy with the ref the model passed, never the default branch', async () => {
    const session = await newSession();
    fake.enqueue(
      {
        kind: 'stream',
        chunks: toolCall(
          0,
          'call_deploy',
          'start_workflow',
          '{"workflow":"deploy_application","context":{"repository":"demo/hello-app","ref":"broken"}}',
        ),
      },
      { kind: 'stream', chunks: text('Deploying demo/hello-app at broken.') },
    );
    const reply = await say(session.id, 'Deploy demo/hello-app at broken');
    expect(reply.toolCalls[0]).toMatchObject({ name: 'start_workflow', error: null });
    const run = await alice.run((reply.toolCalls[0]!.result as { id: string }).id);
    expect(run.context).toMatchObject({ repository: 'demo/hello-app', ref: 'broken' });
    expect(run.title).toMatch(/^Deploy demo\/hello-app@broken/);
  });

  it('answers an invalid or unknown argument with an error naming it, runs nothing, and takes the correction', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    const runsBefore = (await runsOf()).length;
    fake.enqueue(
      {
        kind: 'stream',
        chunks: [
          ...toolCall(
            0,
            'call_space',
            'start_workflow',
            '{"workflow":"deploy_application","context":{"repository":"demo/hello-app","ref":"feature x"}}',
          ),
          ...toolCall(
            1,
            'call_env',
            'start_workflow',
            '{"workflow":"deploy_application","context":{"repository":"demo/hello-app","ref":"main","env":"qa"}}',
          ),
          ...toolCall(2, 'call_repo', 'list_jobs', '{"repo":"demo/hello-app"}'),
        ],
      },
      {
        kind: 'stream',
        chunks: [
          ...toolCall(0, 'call_fixed', 'list_jobs', '{"repository":"demo/hello-app"}'),
          ...toolCall(
            1,
            'call_fixed_env',
            'start_workflow',
            '{"workflow":"deploy_application","context":{"repository":"demo/hello-app","ref":"main","environment":"qa"}}',
          ),
        ],
      },
      { kind: 'stream', chunks: text('Started, in qa.') },
    );
    const reply = await say(session.id, 'deploy demo/hello-app to the qa environment');
    expect(reply.content).toBe('Started, in qa.');
    const [space, env, repo, fixed, fixedEnv] = reply.toolCalls;
    expect(space).toMatchObject({ id: 'call_space', result: null });
    expect(space!.error).toMatch(/^invalid context for workflow deploy_application: ref: /);
    expect(env).toMatchObject({ id: 'call_env', result: null });
    expect(env!.error).toMatch(/^invalid context for workflow deploy_application: env: unknown field "env"/);
    expect(repo).toMatchObject({ id: 'call_repo', result: null });
    expect(repo!.error).toMatch(/^invalid arguments for list_jobs: \(arguments\): Unrecognized key: "repo"/);
    expect(fixed).toMatchObject({ id: 'call_fixed', error: null, result: { count: 0, jobs: [] } });
    expect(fixedEnv).toMatchObject({ id: 'call_fixed_env', error: null });

    // The model read each error as the tool's answer, and only the corrected start made a run.
    const fed = fake.requests[before + 1]!.body.messages.filter((m) => m.role === 'tool');
    expect(fed.map((m) => [m.tool_call_id, JSON.parse(m.content!).error])).toEqual([
      ['call_space', space!.error],
      ['call_env', env!.error],
      ['call_repo', repo!.error],
    ]);
    const runs = await runsOf();
    expect(runs).toHaveLength(runsBefore + 1);
    expect(runs[0]!.context).toMatchObject({ repository: 'demo/hello-app', ref: 'main', environment: 'qa' });
  });

  it('shows the model tool schemas that refuse unknown keys', () => {
    const tools = fake.requests.at(-1)!.body.tools!;
    for (const t of tools)
      expect(t.function.parameters, t.function.name).toMatchObject({ additionalProperties: false });
  });
});

describe('triggers through the model (issue 14)', () => {
  it('offers list_triggers and propose_trigger from the one registry; a proposal is a card, nothing is created', async () => {
    const session = await newSession();
    const before = fake.requests.length;
    const args = JSON.stringify({
      workflow: 'health_check',
      source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
    });
    fake.enqueue(
      { kind: 'stream', chunks: toolCall(0, 'call_t', 'propose_trigger', args, 3) },
      { kind: 'stream', chunks: text('Here it is; click Create trigger to create it.') },
    );
    const reply = await say(session.id, 'run a health check every weekday at 8:00 Berlin time');
    const tools = fake.requests[before]!.body.tools!;
    const propose = tools.find((t) => t.function.name === 'propose_trigger')!.function;
    expect(tools.map((t) => t.function.name)).toEqual(
      expect.arrayContaining(['list_triggers', 'propose_trigger']),
    );
    expect(propose.parameters).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: expect.arrayContaining(['workflow', 'source']),
    });
    expect(fake.requests[before]!.body.messages[0]!.content).toMatch(/only a person's click/i);
    expect(reply.toolCalls).toHaveLength(1);
    expect(reply.toolCalls[0]).toMatchObject({
      name: 'propose_trigger',
      error: null,
      result: {
        kind: 'trigger_proposal',
        trigger: {
          workflow: 'health_check',
          source: { expression: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
        },
        source: 'cron 0 8 * * 1-5 (Europe/Berlin)',
      },
    });
    expect((await s.api.get<{ triggers: unknown[] }>('/v1/triggers')).body.triggers).toEqual([]);
  });
});

describe('openai provider and the workflow library (the same registry)', () => {
  const WARMUP = {
    name: 'cache_warmup',
    title: 'Nightly cache warm-up',
    description: 'Warms the CDN cache of one region.',
    inputs: [{ key: 'region', label: 'Region', type: 'text', required: true }],
    steps: [{ id: 'warm', title: 'Warm the cache', uses: 'set', with: { warmed: '${{ inputs.region }}' } }],
  };

  it('lists and starts a saved workflow, explains a run from its timeline, and only proposes a rollback', async () => {
    expect((await s.api.post('/v1/ai/workflows/definitions', WARMUP)).status).toBe(201);
    const session = await newSession();
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'stream', chunks: toolCall(0, 'call_l', 'list_workflow_definitions', '{}', 1) },
      {
        kind: 'stream',
        chunks: toolCall(
          0,
          'call_s',
          'start_workflow',
          JSON.stringify({ workflow: 'cache_warmup', context: { region: 'eu-west' } }),
          2,
        ),
      },
      { kind: 'stream', chunks: text('Started the nightly cache warm-up for eu-west.') },
    );
    const reply = await say(session.id, 'run the nightly cache warm-up for eu-west');
    const tools = fake.requests[before]!.body.tools!.map((t) => t.function.name);
    expect(tools).toEqual(expect.arrayContaining(['explain_run', 'propose_rollback', 'start_workflow']));
    const listed = reply.toolCalls[0]!.result as { workflows: { name: string; builtIn: boolean }[] };
    expect(listed.workflows.find((w) => w.name === 'cache_warmup')).toMatchObject({ builtIn: false });
    expect(listed.workflows.find((w) => w.name === 'health_check')).toMatchObject({ builtIn: true });
    expect(reply.toolCalls[1]).toMatchObject({ name: 'start_workflow', error: null });
    const runId = reply.runId!;
    await alice.waitForRun(runId, (r: WorkflowRun) => r.status === 'completed');

    fake.enqueue(
      {
        kind: 'stream',
        chunks: toolCall(0, 'call_e', 'explain_run', JSON.stringify({ run_id: runId.slice(0, 8) }), 1),
      },
      {
        kind: 'stream',
        chunks: toolCall(0, 'call_r', 'propose_rollback', JSON.stringify({ run_id: runId }), 1),
      },
      { kind: 'stream', chunks: text('It completed. Click Start rollback to undo it.') },
    );
    const answer = await say(session.id, 'what happened in that run? then roll it back');
    expect(answer.toolCalls[0]).toMatchObject({
      name: 'explain_run',
      error: null,
      result: { run: { id: runId, status: 'completed', startedBy: 'alice' } },
    });
    expect(answer.toolCalls[1]).toMatchObject({
      name: 'propose_rollback',
      error: null,
      result: { proposed: true },
    });
    expect(answer.quickActions).toContainEqual({ kind: 'start_rollback', label: 'Start rollback', runId });
    // Proposing started nothing.
    const rollbacks = await alice.get<{ runs: unknown[] }>('/v1/ai/workflows/history?workflow=rollback');
    expect(rollbacks.body.runs).toEqual([]);
  });
});
