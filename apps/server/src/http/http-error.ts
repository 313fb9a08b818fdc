import type { ErrorCode } from '@deploybot/shared';
import type { z } from 'zod';
import { DeployBotError } from '../errors/deploybot-error';
import { issuesOf } from '../errors/field-issues';

export { issuesOf };

/** An error raised by the HTTP layer itself, with its status given (415 is still a `bad_request`). */
export class HttpError extends DeployBotError {
  constructor(status: number, code: ErrorCode, message: string, details?: unknown) {
    super(code, message, { status, details });
  }
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
