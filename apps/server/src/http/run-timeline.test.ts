import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { pendingStep } from '@deploybot/shared/testing';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../engine/ports';
import { buildTimeline, spansOf } from './run-timeline';

const RUN = '11111111-1111-4111-8111-111111111111';
const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s)).toISOString();
let seq = 0;
const ev = (
  s: number,
  type: EventRecord['type'],
  stepId: string | null = null,
  detail: EventRecord['detail'] = null,
) => ({
  runId: RUN,
  seq: ++seq,
  type,
  stepId,
  at: t(s),
  detail,
});

function step(id: string, over: Partial<StepRecord> = {}): StepRecord {
  return pendingStep(id, { title: id.toUpperCase(), status: 'completed', attempt: 1, ...over });
}

describe('spansOf', () => {
  it('parallel steps overlap; a gate wait is its own bar between two running bars', () => {
    seq = 0;
    const spans = spansOf(
      [
        ev(0, 'run.started'),
        ev(0, 'step.started', 'a'),
        ev(0, 'step.started', 'b'),
        ev(2, 'step.completed', 'b'),
        ev(3, 'step.awaiting_approval', 'a'),
        ev(10, 'step.approved', 'a', { note: 'ok' }),
        ev(12, 'step.completed', 'a'),
        ev(12, 'run.completed'),
      ],
      t(12),
      false,
    );
    const bar = (s: (typeof spans)[number]) =>
      `${s.stepId}:${s.kind}:${(Date.parse(s.from) / 1000) % 60}-${(Date.parse(s.to) / 1000) % 60}`;
    expect(spans.map(bar)).toEqual(['b:running:0-2', 'a:running:0-3', 'a:gate:3-10', 'a:running:10-12']);
    expect(spans.every((s) => !s.open)).toBe(true);
  });

  it('a retry shows the failed attempt, the backoff and the next attempt; queued time is the run’s own', () => {
    seq = 0;
    const spans = spansOf(
      [
        ev(0, 'run.queued', null, { behind: 'x' }),
        ev(5, 'run.dequeued'),
        ev(5, 'step.started', 'c'),
        ev(6, 'step.retrying', 'c', { attempt: 2, error: 'flaky', delayMs: 1000 }),
        ev(9, 'step.awaiting_event', 'c', { key: 'job:1' }),
      ],
      t(20),
      true,
    );
    expect(spans.map((s) => [s.stepId, s.kind, s.attempt, s.open, s.from, s.to])).toEqual([
      [null, 'queued', 1, false, t(0), t(5)],
      ['c', 'running', 1, false, t(5), t(6)],
      ['c', 'backoff', 1, false, t(6), t(7)],
      ['c', 'running', 2, false, t(7), t(9)],
      ['c', 'event', 2, true, t(9), t(20)],
    ]);
  });

  it('the end of a run closes every bar still open (a cancel while a gate waits)', () => {
    seq = 0;
    const spans = spansOf(
      [
        ev(0, 'step.started', 'a'),
        ev(1, 'step.awaiting_input', 'a'),
        ev(4, 'run.cancelled', 'a', { reason: 'no' }),
      ],
      t(4),
      false,
    );
    expect(spans.map((s) => [s.kind, s.to, s.open])).toEqual([
      ['running', t(1), false],
      ['input', t(4), false],
    ]);
  });
});

describe('buildTimeline', () => {
  it('names who did each transition, with decisions’ notes and inputs, and each step’s with and outputs', () => {
    seq = 0;
    const run: WorkflowRun = {
      id: RUN,
      name: 'deploy_application',
      title: 'Deploy',
      version: 1,
      status: 'cancelled',
      progress: 50,
      context: {},
      currentStep: null,
      error: 'Cancelled by carol: enough',
      startedBy: 'ann',
      createdAt: t(0),
      updatedAt: t(30),
      seq: 6,
      steps: [
        step('pick', {
          kind: 'gate',
          uses: 'fleet.select_agent@1',
          outputs: { agent_hostname: 'web-01' },
          decisions: [
            { by: 'bob', decision: 'approved', note: 'looks right', input: { agent: 'web-01' }, at: t(20) },
          ],
        }),
        step('job', { status: 'cancelled' }),
      ],
    };
    const events = [
      ev(0, 'run.started'),
      ev(0, 'step.started', 'pick'),
      ev(1, 'step.awaiting_approval', 'pick'),
      ev(20, 'step.approved', 'pick', { note: 'looks right' }),
      ev(21, 'step.completed', 'pick'),
      ev(21, 'step.started', 'job'),
      ev(30, 'run.cancelled', 'job', { reason: 'enough' }),
    ];
    const timeline = buildTimeline({
      run,
      events,
      audit: [{ actor: 'carol', action: 'workflow.cancel', at: t(30) }],
      withOf: (id) => (id === 'pick' ? { environment: '${{ inputs.?environment }}' } : null),
      now: t(99),
    });
    expect(timeline.entries.map((e) => [e.type, e.by, e.text, e.note])).toEqual([
      ['run.started', 'ann', 'Started by ann', null],
      ['step.started', null, 'PICK: started', null],
      ['step.awaiting_approval', null, 'PICK: waiting for approval', null],
      ['step.approved', 'bob', 'PICK: approved by bob', 'looks right'],
      ['step.completed', null, 'PICK: completed', null],
      ['step.started', null, 'JOB: started', null],
      ['run.cancelled', 'carol', 'Cancelled by carol', 'enough'],
    ]);
    expect(timeline.entries[3]!.input).toEqual({ agent: 'web-01' });
    expect(timeline.start).toBe(t(0));
    // A finished run's axis ends when it ended, not when the timeline was asked for.
    expect(timeline.end).toBe(t(30));
    expect(timeline.steps[0]).toMatchObject({
      id: 'pick',
      uses: 'fleet.select_agent@1',
      with: { environment: '${{ inputs.?environment }}' },
      outputs: { agent_hostname: 'web-01' },
    });
    expect(timeline.spans.filter((s) => s.kind === 'gate')).toEqual([
      { stepId: 'pick', kind: 'gate', from: t(1), to: t(20), open: false, attempt: 1 },
    ]);
  });
});
