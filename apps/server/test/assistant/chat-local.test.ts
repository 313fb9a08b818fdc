import type { ChatMessageDto, ChatSessionDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, isWaitingAt } from '../helpers/http-client';
import { ask, type ClientSocket, connectClient, dataOf } from '../helpers/socket-client';
import {
  type AssistantServer,
  seedFleet,
  startAssistantServer,
  waitForMessages,
} from './support/assistant-server';
import { ChatLog } from './support/chat-client';

let s: AssistantServer;
let alice: ApiClient;
let socket: ClientSocket;
let log: ChatLog;

beforeAll(async () => {
  s = await startAssistantServer(undefined, { alice: 'approver', bob: 'operator', vera: 'viewer' });
  await seedFleet(s, {
    repositories: [
      { name: 'myorg/frontend', defaultRef: 'main' },
      { name: 'myorg/payments-api', defaultRef: 'main' },
      { name: 'myorg/payments-worker', defaultRef: 'main' },
    ],
    agents: [{ hostname: 'web-01', environment: 'production' }],
  });
  alice = s.as('alice');
  socket = await connectClient(s.url, s.tokens.alice);
  log = new ChatLog(socket);
});
afterAll(async () => {
  socket?.disconnect();
  await s?.close();
});

async function newSession(): Promise<ChatSessionDto> {
  const res = await alice.post<ChatSessionDto>('/v1/ai/sessions', {});
  expect(res.status).toBe(201);
  const sub = dataOf(await ask(socket, 'chat:subscribe', { sessionId: res.body.id }));
  expect(sub).toEqual({ session: res.body, messages: [] });
  return res.body;
}

/** Sends over the socket and waits for the finished reply. */
async function say(sessionId: string, message: string): Promise<ChatMessageDto> {
  const ack = dataOf(await ask(socket, 'chat:send', { sessionId, message }));
  expect(ack.userMessage).toMatchObject({ sessionId, role: 'user', content: message, status: 'complete' });
  return log.waitFor((m) => m.id === ack.replyId && m.status !== 'streaming', `reply to "${message}"`);
}

async function startLinked(sessionId: string, workflow: string, context: object = {}): Promise<WorkflowRun> {
  const res = await alice.post<WorkflowRun>(
    `/v1/ai/sessions/${sessionId}/runs?workflow_name=${workflow}`,
    context,
  );
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const narration = (sessionId: string, runId: string) =>
  log.list(sessionId).filter((m) => m.runId === runId && m.role === 'assistant');

describe('chat over Socket.IO with the local assistant', () => {
  it('"Run a system health check" starts the workflow, streams the reply and narrates every step', async () => {
    const session = await newSession();
    const reply = await say(session.id, 'Run a system health check');
    expect(reply.status).toBe('complete');
    expect(reply.content).toMatch(/Running a system health check/);
    expect(log.streamed(reply.id)).toBe(reply.content);
    expect(reply.toolCalls).toHaveLength(1);
    expect(reply.toolCalls[0]).toMatchObject({
      name: 'start_workflow',
      arguments: { workflow: 'health_check' },
      error: null,
    });
    expect(reply.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.quickActions).toContainEqual({ kind: 'open_run', label: 'Open run', runId: reply.runId });

    const done = await log.waitFor(
      (m) => m.runId === reply.runId && m.content.startsWith('✅'),
      'the completion narration',
    );
    expect(done.content).toBe('✅ **Check system health** completed (4/4 steps).');
    const steps = narration(session.id, reply.runId!).filter((m) => m.id !== reply.id && m.id !== done.id);
    expect(steps.map((m) => m.content.split('**')[1])).toEqual([
      'Step 1/4: Check all agents',
      'Step 2/4: Check running jobs',
      'Step 3/4: Analyse metrics',
      'Step 4/4: Generate report',
    ]);
    for (const m of steps) expect(m.status).toBe('complete');
    expect(steps[0]!.content).toMatch(/✓ `1 agent\(s\), 0 online\. web-01: offline/);
    // Item 6 with `local`: a template explanation next to the facts, in the step data, the report and the chat.
    const run = await alice.run(reply.runId!);
    const report = run.steps.find((st) => st.id === 'generate_report')!.data as {
      markdown: string;
      explanation: { text: string; source: string };
      json: { agents: unknown[] };
    };
    expect(report.explanation.source).toBe('template');
    expect(report.explanation.text).toMatch(/^0 of 1 agent is online; web-01 needs attention\./);
    expect(report.json.agents).toHaveLength(1);
    expect(report.markdown).toContain('## Agents');
    expect(report.markdown).toContain(`## Explanation\n\n${report.explanation.text}`);
    expect(steps[3]!.content).toContain(`_Explanation:_\n\n\`\`\`text\n${report.explanation.text}\n\`\`\``);

    // Stored as emitted: the history is the same conversation, in order.
    const history = await waitForMessages(
      alice,
      session.id,
      (ms) => ms.length === 7,
      'seven stored messages',
    );
    expect(history.map((m) => m.id)).toEqual(log.list(session.id).map((m) => m.id));
    expect(history.at(-1)).toEqual(done);
  });

  it('asks when a repository is ambiguous, offers one-click candidates, and takes a short answer', async () => {
    const session = await newSession();
    const question = await say(session.id, 'Deploy payments to production');
    expect(question.content).toMatch(
      /Several repositories match: `myorg\/payments-api`, `myorg\/payments-worker`/,
    );
    expect(question.quickActions).toEqual([
      { kind: 'send', label: 'myorg/payments-api', message: 'Deploy myorg/payments-api to production' },
      { kind: 'send', label: 'myorg/payments-worker', message: 'Deploy myorg/payments-worker to production' },
    ]);
    expect(question.toolCalls).toEqual([]);
    expect(question.runId).toBeNull();

    const started = await say(session.id, 'the worker');
    expect(started.content).toMatch(/Deploying `myorg\/payments-worker` at `main` to production/);
    expect(started.toolCalls[0]!.arguments).toEqual({
      workflow: 'deploy_application',
      context: { repository: 'myorg/payments-worker', ref: 'main', environment: 'production' },
    });
    // The seeded repository's URL leads nowhere, so the first step fails; the conversation is told why.
    const failed = await log.waitFor(
      (m) => m.runId === started.runId && m.content.startsWith('❌'),
      'the failure narration',
    );
    expect(failed.content).toMatch(
      /^❌ \*\*Deploy myorg\\\/payments\\-worker\\@main\*\* failed at “Validate repository”: `cannot reach /,
    );
  });

  it('starts nothing for a host name that is not one: says why, offers a valid spelling, registers what the person then says', async () => {
    const session = await newSession();
    const question = await say(session.id, 'register a new agent called my web server');
    expect(question.content).toBe(
      '`my web server` is not a valid host name: a host name is letters, digits, hyphens and dots, with no spaces or underscores (RFC 1123), e.g. `prod-server-03`. Which host name should the new agent have?',
    );
    expect(question.toolCalls).toEqual([]);
    expect(question.runId).toBeNull();
    expect(question.quickActions).toEqual([
      { kind: 'send', label: 'my-web-server', message: 'Register a new agent called my-web-server' },
    ]);
    const runsBefore = (await alice.get<{ runs: WorkflowRun[] }>('/v1/ai/workflows?state=all&limit=50')).body
      .runs;
    expect(runsBefore.filter((r) => r.name === 'register_agent')).toEqual([]);

    const started = await say(session.id, 'my-web-server');
    expect(started.toolCalls[0]!.arguments).toEqual({
      workflow: 'register_agent',
      context: { hostname: 'my-web-server' },
    });
    expect(started.content).toMatch(/^Starting \*\*Register a deploy agent\*\* for `my-web-server`/);
    // No agent will connect for it: cancel it rather than leave it waiting for one.
    expect((await alice.post(`/v1/ai/workflows/${started.runId}/cancel`, {})).status).toBe(200);
  });

  it('deploys the ref written after "at", not the default branch, and asks when it is an agent', async () => {
    const session = await newSession();
    const deploy = await say(session.id, 'Deploy myorg/frontend at feature-x for the qa environment');
    expect(deploy.toolCalls[0]!.arguments).toEqual({
      workflow: 'deploy_application',
      context: { repository: 'myorg/frontend', ref: 'feature-x', environment: 'qa' },
    });
    expect(deploy.content).toMatch(/^Deploying `myorg\/frontend` at `feature-x` to qa\./);

    const agent = await say(session.id, 'Deploy myorg/frontend at web-01');
    expect(agent.toolCalls).toEqual([]);
    expect(agent.content).toMatch(/^`web-01` is an agent, not a ref: /);
  });

  it('answers fleet questions from the registry and shows workflow cards', async () => {
    const session = await newSession();
    const agents = await say(session.id, 'which agents are offline?');
    expect(agents.toolCalls[0]).toMatchObject({ name: 'list_agents', arguments: { status: 'offline' } });
    expect(agents.content).toMatch(/`web-01` — \*\*offline\*\* · production/);

    const deployed = await say(session.id, "what's deployed on web-01");
    expect(deployed.content).toMatch(/\*\*web-01\*\* is \*\*offline\*\*/);
    expect(deployed.content).toMatch(/Nothing has been deployed on it yet/);

    const unknown = await say(session.id, "what's on web-09");
    expect(unknown.content).toMatch(/There is no agent `web-09`\. Registered: `web-01`/);
    expect(unknown.quickActions).toEqual([
      { kind: 'send', label: 'web-01', message: "What's deployed on web-01?" },
    ]);

    const cards = await say(session.id, 'show workflows');
    const defs = (
      await alice.get<{ definitions: { name: string; title: string; steps: unknown[] }[] }>(
        '/v1/ai/workflows/definitions',
      )
    ).body.definitions;
    expect(cards.workflowCards).toEqual(
      defs.map((d) => expect.objectContaining({ name: d.name, title: d.title, steps: d.steps.length })),
    );
    expect(cards.workflowCards.find((c) => c.name === 'register_agent')?.steps).toBe(4);
    // Workflows that need no input get a one-click start (POST /v1/ai/sessions/{id}/runs).
    expect(cards.quickActions).toContainEqual({
      kind: 'start_workflow',
      label: 'Check system health',
      workflow: 'health_check',
      context: {},
    });
    expect(
      cards.quickActions.some((q) => q.kind === 'start_workflow' && q.workflow === 'deploy_application'),
    ).toBe(false);

    const logs = await say(session.id, 'show me the logs of the last failed job');
    expect(logs.content).toBe('No job has failed yet.');
  });

  it('refuses another user’s session on the socket, with the one error shape', async () => {
    const session = await newSession();
    const bob = await connectClient(s.url, s.tokens.bob);
    try {
      for (const [event, payload] of [
        ['chat:subscribe', { sessionId: session.id }],
        ['chat:send', { sessionId: session.id, message: 'hello' }],
      ] as const) {
        const ack = await ask(bob, event, payload as never);
        expect(ack).toEqual({ error: { code: 'not_found', message: `no chat session ${session.id}` } });
      }
      const bad = await ask(bob, 'chat:send', { sessionId: 'nope', message: '' } as never);
      expect(bad).toMatchObject({ error: { code: 'validation_failed' } });
      const nul = await ask(bob, 'chat:send', { sessionId: session.id, message: 'a\u0000b' });
      expect(nul).toMatchObject({ error: { code: 'validation_failed', details: [{ path: 'message' }] } });
      // An ack without a payload is still answered.
      const bare = await (
        bob.timeout(2000) as unknown as { emitWithAck(e: string): Promise<unknown> }
      ).emitWithAck('chat:subscribe');
      expect(bare).toMatchObject({ error: { code: 'validation_failed' } });
    } finally {
      bob.disconnect();
    }
  });

  it('needs the operator role on the socket, as over REST', async () => {
    const session = await newSession();
    const vera = await connectClient(s.url, s.tokens.vera);
    try {
      const ack = await ask(vera, 'chat:send', { sessionId: session.id, message: 'hello' });
      expect(ack).toEqual({
        error: { code: 'forbidden', message: 'the chat needs the operator role; you are viewer' },
      });
      expect(await ask(vera, 'chat:subscribe', { sessionId: session.id })).toMatchObject({
        error: { code: 'forbidden' },
      });
    } finally {
      vera.disconnect();
    }
  });
});

describe('approvals stay human', () => {
  it('narrates a gate with Approve / Reject buttons, and applies a person’s typed "approve" and "reject"', async () => {
    const session = await newSession();
    const run = await startLinked(session.id, 'two_gates');
    const gate = await log.waitFor(
      (m) => m.runId === run.id && m.content.includes('[APPROVAL NEEDED]'),
      'the first gate narration',
    );
    expect(gate.content).toBe(
      '**Step 1/4: First gate** — `First plan`\n\n**[APPROVAL NEEDED]** Approve “First gate”? Click a button, or write “approve” or “reject because …”.',
    );
    expect(gate.quickActions).toEqual([
      { kind: 'approve', label: 'Approve', runId: run.id, stepId: 'first_gate' },
      { kind: 'reject', label: 'Reject', runId: run.id, stepId: 'first_gate' },
    ]);

    const approved = await say(session.id, 'approve: looks fine');
    expect(approved.content).toBe('✓ Approved “First gate” of **Two gates** (`looks fine`). Continuing…');
    expect(approved.toolCalls).toEqual([]);
    const atSecond = await alice.waitForRun(run.id, isWaitingAt('second_gate'), 'second gate');
    expect(atSecond.steps[0]!.decisions).toEqual([
      expect.objectContaining({ by: 'alice', decision: 'approved', note: 'looks fine' }),
    ]);
    // The first gate's buttons are gone once it is decided.
    const firstDone = await log.waitFor(
      (m) => m.id === gate.id && m.content.includes('✓'),
      'the first gate marked done',
    );
    expect(firstDone.quickActions).toEqual([]);
    expect(firstDone.content).toMatch(/✓ Approved by alice: `looks fine`\. `First applied by alice/);

    const rejected = await say(session.id, 'no, reject it because the window is closed');
    expect(rejected.content).toMatch(/^✗ Rejected “Second gate” of \*\*Two gates\*\*: `the window is closed/);
    const stopped = await log.waitFor(
      (m) => m.runId === run.id && m.content.startsWith('⏹'),
      'stop narration',
    );
    expect(stopped.content).toMatch(/Rejected by alice at step "Second gate": the window is closed/);
    expect((await alice.run(run.id)).status).toBe('cancelled');
  });

  it('decides nothing when the phrasing is not unambiguous, when several steps wait, or when none waits here', async () => {
    const session = await newSession();
    const a = await startLinked(session.id, 'two_gates');
    await alice.waitForRun(a.id, isWaitingAt('first_gate'), 'gate a');
    for (const text of [
      'yes',
      'go ahead',
      'can you approve it?',
      'approve it and also deploy the frontend',
    ]) {
      await say(session.id, text);
    }
    expect((await alice.run(a.id)).steps[0]!.decisions).toEqual([]);

    const b = await startLinked(session.id, 'two_gates');
    await alice.waitForRun(b.id, isWaitingAt('first_gate'), 'gate b');
    const ambiguous = await say(session.id, 'approve');
    expect(ambiguous.content).toMatch(
      /^2 steps are waiting for approval, so “approve” is ambiguous; nothing was decided/,
    );
    expect(ambiguous.quickActions.map((q) => [q.kind, 'runId' in q && q.runId])).toEqual([
      ['approve', b.id],
      ['reject', b.id],
      ['approve', a.id],
      ['reject', a.id],
    ]);
    for (const id of [a.id, b.id]) expect((await alice.run(id)).status).toBe('waiting');

    const elsewhere = await newSession();
    const nothing = await say(elsewhere.id, 'approved');
    expect(nothing.content).toBe(
      'Nothing started from this conversation is waiting for approval, so there is nothing to approve.',
    );
    for (const id of [a.id, b.id]) expect((await alice.run(id)).steps[0]!.decisions).toEqual([]);
  });

  it('reports a decision the engine refuses (a gate that needs a value) and leaves the step waiting', async () => {
    const session = await newSession();
    const run = await startLinked(session.id, 'gated_change', { service: 'api' });
    await alice.waitForRun(run.id, isWaitingAt('review'), 'review gate');
    const reply = await say(session.id, 'approve');
    expect(reply.content).toBe('Your decision was not recorded: Colour is required.');
    expect((await alice.run(run.id)).status).toBe('waiting');
  });
});
