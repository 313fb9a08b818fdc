import { checkInput, type StepRecord, type WorkflowRun } from '@deploybot/shared';
import { EngineError } from './errors';
/**
 * The step a person's command is for, or a `conflict` saying what the run is really waiting for. Several steps
 * may wait at once (parallel gates): then `stepId` picks one, and without it the command is refused.
 */
export function waitingStep(
  run: WorkflowRun,
  status: 'awaiting_approval' | 'awaiting_input',
  stepId?: string,
): StepRecord {
  const waiting = run.steps.filter((s) => s.status === 'awaiting_approval' || s.status === 'awaiting_input');
  if ((run.status !== 'waiting' && run.status !== 'running') || waiting.length === 0) {
    throw new EngineError('conflict', `run ${run.id} is ${run.status}: no step is waiting for a person`);
  }
  if (stepId === undefined && waiting.length > 1) {
    throw new EngineError(
      'conflict',
      `${waiting.length} steps are waiting (${waiting.map((s) => `"${s.id}"`).join(', ')}): say which with step_id`,
      { waiting: waiting.map((s) => s.id) },
    );
  }
  const step = stepId === undefined ? waiting[0]! : waiting.find((s) => s.id === stepId);
  if (!step) {
    throw new EngineError(
      'conflict',
      `step "${stepId}" is not waiting; ${waiting.map((s) => `"${s.id}"`).join(', ')} ${waiting.length > 1 ? 'are' : 'is'}`,
    );
  }
  if (step.status !== status) {
    const wants = step.status === 'awaiting_approval' ? 'an approval' : 'an input value';
    throw new EngineError('conflict', `step "${step.id}" is waiting for ${wants}`);
  }
  return step;
}

/**
 * The value given with an approval: checked against the gate's input spec when it has one (a secret comes back
 * through `seal`), otherwise free text of at most 2,000 characters, or nothing.
 */
export function gateInput(step: StepRecord, raw: unknown, seal: (value: string) => unknown): unknown {
  if (step.input) {
    const checked = checkInput(step.input, raw);
    if (!checked.ok) {
      throw new EngineError('validation_failed', checked.message, [
        { path: 'user_input', message: checked.message },
      ]);
    }
    return step.input.type === 'secret' && typeof checked.value === 'string'
      ? seal(checked.value)
      : checked.value;
  }
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > 2000) {
    const message = 'user_input must be text of at most 2000 characters for this step';
    throw new EngineError('validation_failed', message, [{ path: 'user_input', message }]);
  }
  return raw;
}
