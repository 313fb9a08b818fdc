import type { ErrorCode } from '@deploybot/shared';

/** A request the assistant refuses (unknown session, a reply still streaming…); routes map it to the one error shape. */
export class AssistantError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'not_found' | 'conflict' | 'validation_failed' | 'bad_request'>,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return { not_found: 404, conflict: 409, validation_failed: 400, bad_request: 400 }[this.code];
  }
}
