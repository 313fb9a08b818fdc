import type { StepRecord, WorkflowEvent, WorkflowRun } from '@deploybot/shared';

export function makeStep(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    id: 'step_a',
    title: 'Step A',
    description: 'does A',
    kind: 'automatic',
    status: 'pending',
    needsApproval: false,
    summary: null,
    data: null,
    plan: null,
    input: null,
    error: null,
    attempt: 1,
    startedAt: null,
    finishedAt: null,
    deadline: null,
    decisions: [],
    ...overrides,
  };
}

export function makeRun(overrides: Partial<WorkflowRun> = {}): WorkflowRun {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'deploy_application',
    title: 'Deploy an application',
    version: 1,
    status: 'running',
    progress: 0,
    context: {},
    steps: [makeStep()],
    currentStep: 'step_a',
    error: null,
    startedBy: 'alice',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    seq: 1,
    ...overrides,
  };
}

/** An event whose run is `run` at `seq`. */
export function makeEvent(
  run: WorkflowRun,
  seq: number,
  type: WorkflowEvent['type'] = 'step.started',
): WorkflowEvent {
  return { runId: run.id, seq, type, at: run.updatedAt, stepId: run.currentStep, run: { ...run, seq } };
}
