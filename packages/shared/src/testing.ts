import type { StepRecord } from './workflow';

/** For tests: a step record as the engine creates it before the step runs (`@deploybot/shared/testing`). */
export function pendingStep(id: string, overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    id,
    title: id,
    description: '',
    kind: 'automatic',
    status: 'pending',
    needsApproval: false,
    summary: null,
    data: null,
    plan: null,
    input: null,
    error: null,
    attempt: 0,
    startedAt: null,
    finishedAt: null,
    deadline: null,
    decisions: [],
    ...overrides,
  };
}
