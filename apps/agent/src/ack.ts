import type { Ack, ErrorCode } from '@deploybot/shared';
import type { z } from 'zod';

export function ok<T>(data: T): Ack<T> {
  return { data };
}

export function fail(code: ErrorCode, message: string, details?: unknown): Ack<never> {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** A payload that does not match the contract: say which field and why, like the REST API does. */
export function badRequest(event: string, error: z.ZodError): Ack<never> {
  const details = error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = details[0];
  const message = first
    ? `invalid ${event}: ${first.path ? `${first.path}: ` : ''}${first.message}`
    : `invalid ${event}`;
  return fail('bad_request', message, details);
}
