import { AsyncLocalStorage } from 'node:async_hooks';

/** What a log line is about: the request, run, step or job whose work wrote it. */
export interface LogContext {
  requestId?: string;
  runId?: string;
  stepId?: string;
  jobId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with `fields` added to the context of every log line written while it (and whatever it awaits or
 * schedules) runs. Nested calls add to the outer context, so a job started by a step carries run, step and job.
 */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...fields } : fields, fn);
}

/** The fields of the work running now (pino's `mixin` adds them to every line). */
export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}
