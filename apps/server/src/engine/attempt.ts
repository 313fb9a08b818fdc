import { StepTimeoutError } from './errors';
import type { RetryPolicy } from './types';

/**
 * Runs one attempt of a handler with its own AbortSignal, aborted when `parent` aborts or `timeoutMs` passes.
 * A handler that ignores its signal still loses the race: the attempt rejects with the abort reason.
 */
export async function runAttempt<T>(
  call: (signal: AbortSignal) => Promise<T>,
  parent: AbortSignal,
  timeoutMs: number | undefined,
): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) throw parent.reason;
  parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = timeoutMs
    ? setTimeout(() => controller.abort(new StepTimeoutError(timeoutMs)), timeoutMs)
    : undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(controller.signal.reason);
    controller.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(controller.signal), aborted]);
  } finally {
    if (timer) clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
    if (onAbort) controller.signal.removeEventListener('abort', onAbort);
  }
}

/** Delay before attempt `next` (2, 3, …) under `policy`. */
export function backoffMs(policy: RetryPolicy, next: number): number {
  const delay = policy.backoffMs * (policy.factor ?? 2) ** Math.max(0, next - 2);
  return Math.min(delay, policy.maxBackoffMs ?? Number.POSITIVE_INFINITY);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'unknown error';
}
