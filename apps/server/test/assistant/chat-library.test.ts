import type { ChatMessageDto, ChatSessionDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, isStatus, WORKFLOWS } from '../helpers/http-client';
import { ask, type ClientSocket, connectClient, dataOf } from '../helpers/socket-client';
import { type AssistantServer, startAssistantServer } from './support/assistant-server';
import { ChatLog } from './support/chat-client';

/**
 * The chat and the workflow library (issue 13, item 6) with the offline `local` assistant: operators' own
 * workflows found by their words and their inputs asked for, parallel steps and several gates narrated with a
 * pair of buttons each, "what happened in run …" from the timeline, and a rollback proposed with its plan that
 * only a person's click starts.
 */

const WARMUP = {
  name: 'cache_warmup',
  title: 'Nightly cache warm-up',
  description: 'Warms the CDN cache of one region before the morning traffic.',
  inputs: [{ key: 'region', label: 'Region', type: 'text', required: true }],
  steps: [{ id: 'warm', title: 'Warm the cache', uses: 'set', with: { warmed: '${{ inputs.region }}' } }],
};

const PARALLEL = {
  name: 'dual_signoff',
  title: 'Dual sign-off release',
  description: 'Two builds at once, then QA and Ops sign off at the same time.',
  steps: [
    { id: 'build_a', title: 'Build A', uses: 'wait', needs: [], with: { duration: '1s' } },
    { id: 'build_b', title: 'Build B', uses: 'wait', needs: [], with: { duration: '1s' } },
    {
      id: 'qa',
      title: 'QA sign-off',
      uses: 'approval',
      needs: ['build_a', 'build_b'],
      with: { message: 'QA ok?' },
    },
    {
      id: 'ops',
      title: 'Ops sign-off',
      uses: 'approval',
      needs: ['build_a', 'build_b'],
      with: { message: 'Ops ok?' },
    },
  ],
};

let s: AssistantServer;
let alice: ApiClient;
let socket: ClientSocket;
let log: ChatLog;

beforeAll(async () => {
  s = await startAssistantServer(undefined, { alice: 'approver', bob: 'operator', vera: 'viewer' });
  for (const doc of [WARMUP, PARALLEL]) {
    const saved = await s.api.post(`${WORKFLOWS}/definitions`, doc);
    expect(saved.status, saved.text).toBe(201);
  }
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
  dataOf(await ask(socket, 'chat:subscribe', { sessionId: res.body.id }));
  return res.body;
}

async function say(sessionId: string, message: string): Promise<ChatMessageDto> {
  const ack = dataOf(await ask(socket, 'chat:send', { sessionId, message }));
  return log.waitFor((m) => m.id === ack.replyId && m.status !== 'streaming', `reply to "${message}"`);
}

const narration = (sessionId: string, runId: string) =>
  log.list(sessionId).filter((m) => m.runId === runId && m.narration);

describe('the chat and the workflow library (local assistant)', () => {
  it('lists operators’ workflows next to the built-ins, marked', async () => {
    const session = await newSession();
    const reply = await say(session.id, 'show workflows');
    // Operators' words are shown as plain text (markdown escaped).
    expect(reply.content).toContain('**Nightly cache warm\\-up** (`cache_warmup`, v1)');
    expect(reply.content).toMatch(/\*\*Check system health\*\* \(`health_check`, built-in\)/);
    const cards = reply.workflowCards;
    expect(cards.find((c) => c.name === 'cache_warmup')).toMatchObject({ builtIn: false, steps: 1 });
    expect(cards.find((c) => c.name === 'health_check')).toMatchObject({ builtIn: true });
  });

  it('starts a saved workflow named by its title in plain words, asking for its input like a built-in’s', async () => {
    const session = await newSession();
    const asked = await say(session.id, 'run the nightly cache warm-up');
    expect(asked.toolCalls).toEqual([]);
    expect(asked.content).toContain('**Nightly cache warm\\-up** needs **Region**');

    const started = await say(session.id, 'eu-west');
    expect(started.toolCalls).toHaveLength(1);
    expect(started.toolCalls[0]).toMatchObject({
      name: 'start_workflow',
      arguments: { workflow: 'cache_warmup', context: { region: 'eu-west' } },
      error: null,
    });
    expect(started.content).toContain('Starting **Nightly cache warm\\-up** with region `eu-west`');
    const runId = started.runId!;
    await log.waitFor(
      (m) => m.runId === runId && m.content.includes('✅ **Nightly cache warm\\-up** completed'),
      'the run completed, narrated',
    );
    const run = (await alice.get<WorkflowRun>(`${WORKFLOWS}/${runId}`)).body;
    expect(run).toMatchObject({ name: 'cache_warmup', startedBy: 'alice', inputs: { region: 'eu-west' } });
  });

  it('starts one by its snake_case name with the input in the same message', async () => {
    const session = await newSession();
    const reply = await say(session.id, 'start cache_warmup region=us-east');
    expect(reply.toolCalls[0]).toMatchObject({
      name: 'start_workflow',
      arguments: { workflow: 'cache_warmup', context: { region: 'us-east' } },
    });
  });

  it('narrates parallel steps and two gates waiting at once, each with its own buttons; a written "approve" decides nothing', async () => {
    const session = await newSession();
    const reply = await say(session.id, 'run the dual sign-off release');
    const runId = reply.runId!;
    expect(runId).toBeTruthy();
    // Both builds wait on their timers at the same time: each says the other runs alongside.
    await log.waitFor(
      (m) =>
        m.runId === runId &&
        m.content.includes('Build A') &&
        m.content.includes('in parallel with “Build B”'),
      'build A narrated as parallel',
    );
    await alice.waitForRun(
      runId,
      (r) => r.steps.filter((x) => x.status === 'awaiting_approval').length === 2,
    );
    const gates = await log.waitFor(
      (m) =>
        m.runId === runId &&
        m.content.includes('2 gates are waiting at once') &&
        m.content.includes('Ops sign-off**'),
      'the ops gate narrated with the other',
    );
    expect(gates.quickActions).toEqual([
      { kind: 'approve', label: 'Approve Ops sign-off', runId, stepId: 'ops' },
      { kind: 'reject', label: 'Reject Ops sign-off', runId, stepId: 'ops' },
    ]);
    const qa = narration(session.id, runId).find((m) => m.content.includes('QA sign-off**'))!;
    expect(qa.quickActions.map((a) => 'stepId' in a && a.stepId)).toEqual(['qa', 'qa']);

    const ambiguous = await say(session.id, 'approve');
    expect(ambiguous.content).toContain('2 steps are waiting for approval');
    expect(ambiguous.quickActions.map((a) => a.label)).toEqual([
      'Approve “QA sign-off”',
      'Reject “QA sign-off”',
      'Approve “Ops sign-off”',
      'Reject “Ops sign-off”',
    ]);
    expect((await alice.get<WorkflowRun>(`${WORKFLOWS}/${runId}`)).body.status).toBe('waiting');

    // Each button names its step: the approve API takes step_id when several gates wait.
    for (const stepId of ['qa', 'ops']) {
      const res = await alice.post(`${WORKFLOWS}/${runId}/approve`, {
        approved: true,
        step_id: stepId,
        note: `${stepId} fine`,
      });
      expect(res.status, res.text).toBe(200);
    }
    await alice.waitForRun(runId, isStatus('completed'));

    // "what happened in run …", from the timeline: both decisions with who and the note.
    const explained = await say(session.id, `what happened in run ${runId.slice(0, 8)}?`);
    expect(explained.toolCalls[0]).toMatchObject({
      name: 'explain_run',
      arguments: { run_id: runId.slice(0, 8) },
      error: null,
    });
    expect(explained.content).toContain('**Dual sign\\-off release**');
    expect(explained.content).toMatch(/Approved by \*\*alice\*\* at “QA sign\\-off”.*`qa fine`/);
    expect(explained.content).toMatch(/Approved by \*\*alice\*\* at “Ops sign\\-off”.*`ops fine`/);
    expect(explained.content).toContain('Run completed');
  });

  it('proposes a rollback with its plan; only a person’s click starts it, its gate waits, and it is narrated here', async () => {
    const session = await newSession();
    const done = await alice.start('cache_warmup', { region: 'eu-north' });
    await alice.waitForRun(done.id, isStatus('completed'));

    const proposal = await say(session.id, `roll back run ${done.id.slice(0, 8)}`);
    expect(proposal.toolCalls[0]).toMatchObject({ name: 'propose_rollback', error: null });
    expect(proposal.content).toContain('would undo, most recent first');
    expect(proposal.content).toContain('**Warm the cache**');
    expect(proposal.content).toContain('Nothing has been started');
    expect(proposal.quickActions).toContainEqual({
      kind: 'start_rollback',
      label: 'Start rollback',
      runId: done.id,
    });
    // The proposal started nothing.
    const rollbacks = await alice.get<{ runs: { id: string }[] }>(`${WORKFLOWS}/history?workflow=rollback`);
    expect(rollbacks.body.runs).toEqual([]);

    // A viewer's click is refused by the route; an operator's starts it, and the conversation narrates it.
    expect((await s.as('vera').post(`${WORKFLOWS}/${done.id}/rollback`, {})).status).toBe(403);
    const started = await alice.post<WorkflowRun>(`${WORKFLOWS}/${done.id}/rollback`, {});
    expect(started.status, started.text).toBe(201);
    const rollbackId = started.body.id;
    await alice.waitForRun(rollbackId, (r) => r.steps.some((x) => x.status === 'awaiting_approval'));
    const gate = await log.waitFor(
      (m) => m.runId === rollbackId && m.sessionId === session.id && m.content.includes('[APPROVAL NEEDED]'),
      'the rollback gate narrated in the conversation',
    );
    expect(gate.quickActions.map((a) => a.kind)).toEqual(['approve', 'reject']);
  });

  it('says why a run cannot be rolled back, and asks which repository when none is named', async () => {
    const session = await newSession();
    const none = await say(session.id, 'roll back the last deploy');
    expect(none.content).toContain('Which repository’s last deploy should I roll back?');
    const running = await alice.start('dual_signoff', {});
    const refused = await say(session.id, `roll back run ${running.id.slice(0, 8)}`);
    expect(refused.content).toContain('only a completed or failed run can be rolled back');
    expect(refused.quickActions).toEqual([]);
    await alice.post(`${WORKFLOWS}/${running.id}/cancel`, {});
  });
});
