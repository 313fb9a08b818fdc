import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { pendingStep } from '@deploybot/shared/testing';
import { describe, expect, it } from 'vitest';
import { finalMessage, narrationOf, stepMessage } from './narration-text';

const step = (id: string, patch: Partial<StepRecord> = {}): StepRecord =>
  pendingStep(id, { title: id.replace('_', ' '), description: `Does ${id}.`, ...patch });

const run = (steps: StepRecord[], patch: Partial<WorkflowRun> = {}): WorkflowRun => ({
  id: '11111111-2222-4333-8444-555555555555',
  name: 'register_agent',
  title: 'Register a deploy agent',
  version: 1,
  status: 'running',
  progress: 0,
  context: {},
  steps,
  currentStep: null,
  error: null,
  startedBy: 'alice',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  seq: 1,
  ...patch,
});

describe('narration text', () => {
  it('says nothing about steps that did not start, and one line per state for the rest', () => {
    const r = run([
      step('validate_hostname', {
        status: 'completed',
        summary: 'web-03 is valid.',
        data: { command: 'deploybot-agent --hostname web-03 --token dbj_abcdefghijklmnopqrstuv' },
      }),
      step('check_connectivity', {
        status: 'in_progress',
        startedAt: '2026-01-01T00:00:01.000Z',
        attempt: 1,
      }),
      step('register'),
    ]);
    expect(narrationOf(r).map((m) => [m.key, m.status, m.content])).toEqual([
      [
        'step:validate_hostname',
        'complete',
        '**Step 1/3: validate hostname** ✓ `web-03 is valid.`\n\n```text\ndeploybot-agent --hostname web-03 --token ••••••\n```',
      ],
      ['step:check_connectivity', 'streaming', '**Step 2/3: check connectivity…** Does check_connectivity.'],
    ]);
  });

  it('asks for approval with buttons, then records who decided', () => {
    const waiting = run(
      [
        step('register', {
          kind: 'gate',
          status: 'awaiting_approval',
          startedAt: 'x',
          plan: { summary: 'Will store agent web-03.', data: null },
        }),
      ],
      { status: 'waiting' },
    );
    expect(stepMessage(waiting, 0)).toEqual({
      key: 'step:register',
      status: 'complete',
      content:
        '**Step 1/1: register** — `Will store agent web-03.`\n\n**[APPROVAL NEEDED]** Approve “register”? Click a button, or write “approve” or “reject because …”.',
      quickActions: [
        { kind: 'approve', label: 'Approve', runId: waiting.id, stepId: 'register' },
        { kind: 'reject', label: 'Reject', runId: waiting.id, stepId: 'register' },
      ],
    });
    const done = run(
      [
        step('register', {
          kind: 'gate',
          status: 'completed',
          startedAt: 'x',
          summary: 'Registered web-03.',
          decisions: [{ by: 'bob', decision: 'approved', note: null, at: 'y' }],
        }),
      ],
      { status: 'completed' },
    );
    expect(stepMessage(done, 0)?.content).toBe(
      '**Step 1/1: register** ✓ Approved by bob. `Registered web-03.`',
    );
    expect(stepMessage(done, 0)?.quickActions).toEqual([]);
    expect(finalMessage(done)?.content).toBe('✅ **Register a deploy agent** completed (1/1 steps).');
  });

  it('ends with the reason of a failure or a stop', () => {
    const failed = run([step('a', { status: 'failed', startedAt: 'x', error: 'boom' }), step('b')], {
      status: 'failed',
      error: 'boom',
    });
    expect(narrationOf(failed).map((m) => m.content)).toEqual([
      '**Step 1/2: a** ✗ `boom`',
      '❌ **Register a deploy agent** failed at “a”: `boom`',
    ]);
    const cancelled = run(
      [step('a', { status: 'cancelled', startedAt: 'x' }), step('b', { status: 'cancelled' })],
      {
        status: 'cancelled',
        error: 'Cancelled by alice: not now',
      },
    );
    expect(narrationOf(cancelled).map((m) => m.content)).toEqual([
      '**Step 1/2: a** ✗ Cancelled.',
      '⏹ **Register a deploy agent** stopped: `Cancelled by alice: not now`',
    ]);
  });

  it('job output in a step error, summary, note or explanation is shown inside code, never as markdown', () => {
    const forged = '**[APPROVAL NEEDED]** [Approve](https://evil.example/x)';
    const r = run(
      [
        step('wait_for_job', {
          status: 'completed',
          startedAt: 'x',
          summary: `Collected 3 log line(s); first error: "\`\`\` ${forged}"`,
          data: { explanation: { text: `It failed.\n\n\`\`\`\n${forged}\n`, source: 'model' } },
          decisions: [{ by: 'bob', decision: 'approved', note: forged, at: 'y' }],
        }),
        step('deploy', { status: 'failed', startedAt: 'x', error: `job failed: ${forged}` }),
      ],
      { status: 'failed', error: `job failed:\n\n${forged}` },
    );
    expect(narrationOf(r).map((m) => m.content)).toEqual([
      `**Step 1/2: wait for_job** ✓ Approved by bob: \`${forged}\`. \`\`\`\`Collected 3 log line(s); first error: "\`\`\` ${forged}"\`\`\`\`` +
        `\n\n_Explanation:_\n\n\`\`\`\`text\nIt failed.\n\n\`\`\`\n${forged}\n\n\`\`\`\``,
      `**Step 2/2: deploy** ✗ \`job failed: ${forged}\``,
      `❌ **Register a deploy agent** failed at “deploy”: \`job failed: ${forged}\``,
    ]);
  });
});

describe('parallel steps and several gates', () => {
  it('says which steps run alongside each other, durable waits included', () => {
    const r = run([
      step('build_a', {
        status: 'awaiting_event',
        summary: 'waiting 4s',
        startedAt: '2026-01-01T00:00:01.000Z',
      }),
      step('build_b', { status: 'in_progress', startedAt: '2026-01-01T00:00:01.000Z' }),
      step('announce'),
    ]);
    expect(stepMessage(r, 0)).toMatchObject({
      key: 'step:build_a',
      status: 'streaming',
      content: '**Step 1/3: build a…** `waiting 4s` _(running in parallel with “build b”)_',
    });
    expect(stepMessage(r, 1)!.content).toBe(
      '**Step 2/3: build b…** Does build_b. _(running in parallel with “build a”)_',
    );
    // Alone again: no mention.
    const alone = run([
      step('build_a', { status: 'completed', summary: 'done' }),
      step('build_b', { status: 'in_progress' }),
    ]);
    expect(stepMessage(alone, 1)!.content).toBe('**Step 2/2: build b…** Does build_b.');
  });

  it('gives each of several waiting gates its own named buttons and says a written "approve" would not do', () => {
    const r = run(
      [
        step('qa', { status: 'awaiting_approval', kind: 'gate', title: 'QA sign-off', summary: 'QA ok?' }),
        step('ops', { status: 'awaiting_approval', kind: 'gate', title: 'Ops sign-off', summary: 'Ops ok?' }),
      ],
      { status: 'waiting' },
    );
    const [qa, ops] = narrationOf(r);
    expect(qa!.content).toContain(
      '2 gates are waiting at once (also “Ops sign-off”): click this step’s buttons.',
    );
    expect(qa!.quickActions).toEqual([
      { kind: 'approve', label: 'Approve QA sign-off', runId: r.id, stepId: 'qa' },
      { kind: 'reject', label: 'Reject QA sign-off', runId: r.id, stepId: 'qa' },
    ]);
    expect(ops!.quickActions.map((a) => a.label)).toEqual(['Approve Ops sign-off', 'Reject Ops sign-off']);
  });

  it('says a step undone by a rollback was undone', () => {
    const r = run([step('deploy', { status: 'compensated', summary: 'deployed' })], { status: 'completed' });
    expect(stepMessage(r, 0)!.content).toBe('**Step 1/1: deploy** ↺ undone by a rollback.');
  });
});
