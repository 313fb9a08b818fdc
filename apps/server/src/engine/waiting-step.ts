import { checkInput, type StepRecord, type WorkflowRun } from '@deploybot/shared';
import { EngineError } from './errors';
import { currentStepOf } from './run-state';

/** The step a person's command is for, or a `conflict` saying what the run is really waiting for. */
export function waitingStep(
  run: WorkflowRun,
  status: 'awaiting_approval' | 'awaiting_input',
  stepId?: string,
): StepRecord {
  const step = currentStepOf(run);
  if (
    run.status !== 'waiting' ||
    !step ||
    (step.status !== 'awaiting_approval' && step.status !== 'awaiting_input')
  ) {
    throw new EngineError('conflict', `run ${run.id} is ${run.status}: no step is waiting for a person`);
  }
  if (stepId !== undefined && stepId !== step.id) {
    throw new EngineError('conflict', `step "${stepId}" is not the waiting step; "${step.id}" is`);
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
