/** An error the engine raises for a caller's request; `code` matches the API's error codes. */
export class EngineError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'validation_failed',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Thrown into a handler's signal when its attempt exceeds `timeoutMs`. */
export class StepTimeoutError extends Error {
  constructor(ms: number) {
    super(`step timed out after ${formatMs(ms)}`);
  }
}

/**
 * The abort reason when a run is cancelled: the step's result, if any, is discarded. It carries who cancelled and
 * why, so a step that started something outside (a job) can stop it in their name.
 */
export class RunCancelledError extends Error {
  constructor(
    readonly by: string | null = null,
    readonly reason: string | null = null,
  ) {
    super('run cancelled');
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
