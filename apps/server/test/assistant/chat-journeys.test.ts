import { join } from 'node:path';
import type { ChatMessageDto, ChatReplyDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awaitingApproval,
  type Controller,
  finished,
  registerRepository,
  revealJoinToken,
  runEnrollCommand,
  startController,
  waitFor,
  waitForRun,
} from '../fleet/support/fleet-harness';
import { createDeployRepo, SMOKE_FAILURE } from '../fleet/support/git-repo';

/**
 * The operator journeys of the issue, typed into the chat of a real controller with a real agent process and a
 * real git repository: register, deploy, troubleshoot. Every decision is a person's chat message.
 */
let c: Controller;
let sessionId: string;

beforeAll(async () => {
  c = await startController('chat');
  const repo = await createDeployRepo(join(c.tmp, 'repos', 'frontend.git'), { bare: true });
  await registerRepository(c, 'myorg/frontend', repo.url);
});
afterAll(async () => {
  await c?.close();
});

async function chat(message: string): Promise<ChatMessageDto> {
  const res = await c.api.post<ChatReplyDto>('/v1/ai/chat', {
    message,
    ...(sessionId && { session_id: sessionId }),
  });
  expect(res.status, res.text).toBe(200);
  sessionId = res.body.session.id;
  return res.body.reply;
}

const history = async () =>
  (await c.api.get<{ messages: ChatMessageDto[] }>(`/v1/ai/sessions/${sessionId}/history?limit=500`)).body
    .messages;

/** Waits until the run's narration contains a message matching `re`. */
async function narrated(runId: string, re: RegExp, what: string): Promise<ChatMessageDto> {
  const messages = await waitFor(
    what,
    history,
    (ms) => ms.some((m) => m.runId === runId && re.test(m.content)),
    20_000,
    (ms) =>
      ms
        .filter((m) => m.runId === runId)
        .map((m) => m.content)
        .join('\n---\n'),
  );
  return messages.find((m) => m.runId === runId && re.test(m.content))!;
}

describe('the operator journeys in the chat, on a real fleet', () => {
  it('"I want to register a new agent called chat-web-01": narrated step by step, approved in words', async () => {
    const reply = await chat('I want to register a new agent called chat-web-01');
    expect(reply.content).toMatch(/Starting \*\*Register a deploy agent\*\* for `chat-web-01`/);
    const runId = reply.runId!;

    const first = await narrated(runId, /^\*\*Step 1\/4: Validate hostname\*\* ✓/, 'step 1');
    // The command is shown with the token as a placeholder; the starter reveals the token separately.
    expect(first.content).toMatch(
      /```text\nDEPLOYBOT_TOKEN=\{\{join_token\}\} node .* --hostname chat-web-01 /,
    );
    const command = (await c.api.run(runId)).steps[0]!.data as { command: string };
    runEnrollCommand(command.command, await revealJoinToken(c, runId), 'chat-web-01', {
      FLEET_TEST_PIDS: c.pidDir,
    });

    const connectivity = await narrated(runId, /\[APPROVAL NEEDED\]/, 'the connectivity gate');
    expect(connectivity.content).toMatch(
      /^\*\*Step 2\/4: Check connectivity\*\* — `Connected from .*: ping [\d.]+ ms; agent .*`\n\n\*\*\[APPROVAL NEEDED\]\*\* Approve “Check connectivity”\?/,
    );
    expect(connectivity.quickActions.map((q) => q.kind)).toEqual(['approve', 'reject']);
    expect((await chat('approve')).content).toBe(
      '✓ Approved “Check connectivity” of **Register a deploy agent**. Continuing…',
    );

    await waitForRun(c, runId, awaitingApproval('register'), 'register gate');
    expect(
      (await narrated(runId, /Step 3\/4: Register agent\*\* — `Will store agent chat-web-01/, 'step 3'))
        .quickActions,
    ).toHaveLength(2);
    expect((await chat('yes, approve')).content).toMatch(/^✓ Approved “Register agent”/);

    await narrated(runId, /^✅ \*\*Register a deploy agent\*\* completed \(4\/4 steps\)\.$/, 'completion');
    const steps = (await history()).filter((m) => m.runId === runId && m.content.startsWith('**Step'));
    expect(steps.map((m) => m.content.split('**')[1])).toEqual([
      'Step 1/4: Validate hostname',
      'Step 2/4: Check connectivity',
      'Step 3/4: Register agent',
      'Step 4/4: Configure agent',
    ]);
    expect(steps[1]!.content).toMatch(/✓ Approved by admin\./);
    expect(steps[1]!.quickActions).toEqual([]);
    await waitFor(
      'chat-web-01 online',
      async () => (await chat('is chat-web-01 online?')).content,
      (t) => t.includes('**chat-web-01** is **online**'),
    );
  });

  it('"Deploy the frontend to production": resolved against the registry, two gates, a real job', async () => {
    const reply = await chat('Deploy the frontend to production');
    expect(reply.content).toMatch(/Deploying `myorg\/frontend` at `main` to production/);
    const runId = reply.runId!;
    const target = await narrated(
      runId,
      /Step 2\/4: Select target agent\*\* — `Deploy to chat-web-01/,
      'target gate',
    );
    expect(target.content).toContain('[APPROVAL NEEDED]');
    await chat('approve');
    await waitForRun(c, runId, awaitingApproval('create_job'), 'job gate');
    await chat('approve: ship it');
    const done = await waitForRun(c, runId, finished, 'deploy', 60_000);
    expect(done.status, done.error ?? '').toBe('completed');
    await narrated(
      runId,
      /^✅ \*\*Deploy myorg\\\/frontend\\@main → chat\\-web\\-01\*\* completed/,
      'deploy completion',
    );

    const onHost = await chat("what's deployed on chat-web-01");
    expect(onHost.content).toMatch(/`myorg\/frontend` at `main`/);
  });

  it('"Why did my last deployment fail?": a failed deploy is diagnosed from its real logs', async () => {
    const broken = await chat('deploy myorg/frontend branch broken');
    const runId = broken.runId!;
    await waitForRun(c, runId, awaitingApproval('select_agent'), 'target gate');
    await chat('approve');
    await waitForRun(c, runId, awaitingApproval('create_job'), 'job gate');
    await chat('approve');
    const failed = await waitForRun(c, runId, finished, 'broken deploy', 60_000);
    expect(failed.status).toBe('failed');
    await narrated(
      runId,
      /^❌ \*\*Deploy myorg\\\/frontend\\@broken → chat\\-web\\-01\*\* failed at “Monitor/,
      'deploy failure',
    );

    const logs = await chat('show me the logs of the last failed job');
    expect(logs.content).toContain(SMOKE_FAILURE);

    const why = await chat('Why did my last deployment fail?');
    expect(why.content).toMatch(/Troubleshooting the most recent failure/);
    const diagnosis: WorkflowRun = await waitForRun(
      c,
      why.runId!,
      awaitingApproval('suggest_fix'),
      'fix gate',
    );
    expect(diagnosis.steps[0]!.summary).toMatch(/1 unresolved failed job/);
    await narrated(why.runId!, /Step 2\/4: Gather logs\*\* ✓ .*smoke test failed/, 'logs gathered');
    await narrated(why.runId!, /Step 3\/4: Suggest fix\*\* — .*\n\n\*\*\[APPROVAL NEEDED\]\*\*/, 'fix gate');
    expect((await chat('no, reject it because the test itself is broken')).content).toMatch(
      /^✗ Rejected “Suggest fix”/,
    );
    await narrated(why.runId!, /^⏹ \*\*Troubleshoot a failure\*\* stopped: `Rejected by admin/, 'rejection');
  });

  it('"Who approved the last deploy of the frontend?" is answered from the runs, in any conversation', async () => {
    sessionId = ''; // a new conversation: nothing was started from it
    const who = await chat('who approved the last deploy of myorg/frontend?');
    expect(who.toolCalls.map((t) => [t.name, t.arguments])).toEqual([
      ['deploy_runs', { repository: 'myorg/frontend', limit: 1 }],
      ['deploy_runs', { repository: 'myorg/frontend', status: 'completed', limit: 1 }],
    ]);
    const at = String.raw`\d+ (s|min) ago \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)`;
    // The newest deploy is the broken one; the one before it succeeded, approved with a note.
    expect(who.content).toMatch(
      new RegExp(
        [
          String.raw`^The last deploy of \`myorg/frontend\` is run \`[0-9a-f]{8}\` \`myorg/frontend@broken → chat-web-01\`: \*\*failed\*\*, started by \*\*admin\*\* ${at}, finished ${at}\.`,
          String.raw`- ✓ \*\*Approved\*\* by \*\*admin\*\* at “Select target agent”, ${at}`,
          String.raw`- ✓ \*\*Approved\*\* by \*\*admin\*\* at “Create deployment job”, ${at}`,
          '',
          String.raw`The last successful deploy of \`myorg/frontend\` is run \`[0-9a-f]{8}\` \`myorg/frontend@main → chat-web-01\`, started by \*\*admin\*\*, finished ${at}:`,
          String.raw`- ✓ \*\*Approved\*\* by \*\*admin\*\* at “Select target agent”, ${at}`,
          String.raw`- ✓ \*\*Approved\*\* by \*\*admin\*\* at “Create deployment job”, ${at} — note: \`ship it\`$`,
        ].join('\n'),
      ),
    );
    const when = await chat('when was the frontend last deployed?');
    expect(when.content).toMatch(
      /^The last deploy of `myorg\/frontend` is run `[0-9a-f]{8}` `myorg\/frontend@broken → chat-web-01`/,
    );
  });
});
