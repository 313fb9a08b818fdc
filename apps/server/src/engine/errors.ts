import type { ErrorCode } from '@deploybot/shared';
import { DeployBotError } from '../errors/deploybot-error';

/** An error the engine raises for a caller's request; `code` is one of the API's error codes. */
export class EngineError extends DeployBotError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message, { details });
  }
}

/** Thrown into a handler's signal when its attempt exceeds `timeoutMs`; the next attempt may be quicker. */
export class StepTimeoutError extends DeployBotError {
  constructor(ms: number) {
    super('unavailable', `step timed out after ${formatMs(ms)}`, { retryable: true });
  }
}

/**
 * The abort reason when a run is cancelled: the step's result, if any, is discarded, and it is never retried. It
 * carries who cancelled and why, so a step that started something outside (a job) can stop it in their name.
 */
export class RunCancelledError extends DeployBotError {
  constructor(
    readonly by: string | null = null,
    readonly reason: string | null = null,
  ) {
    super('conflict', 'run cancelled', { retryable: false });
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
