import type { ErrorCode, FieldIssue } from '@deploybot/shared';
import type { z } from 'zod';

/** An error that becomes an API answer with the one error shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function issuesOf(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    // Say which fields were unexpected instead of a generic "unrecognized keys".
    if (issue.code === 'unrecognized_keys') {
      return { path: path || '(body)', message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    return { path: path || '(body)', message: issue.message };
  });
}

/** Parses `value` with `schema` or throws 400 `validation_failed` naming each field at fault. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = issuesOf(parsed.error, where === 'body' ? undefined : where);
    const first = details[0];
    throw new HttpError(
      400,
      'validation_failed',
      `invalid ${where}: ${first ? `${first.path}: ${first.message}` : 'bad value'}`,
      details,
    );
  }
  return parsed.data;
}
