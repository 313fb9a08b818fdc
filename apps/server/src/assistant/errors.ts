import type { ErrorCode } from '@deploybot/shared';
import { DeployBotError } from '../errors/deploybot-error';

/** A request the assistant refuses (unknown session, a reply still streaming…); it answers like every error. */
export class AssistantError extends DeployBotError {
  constructor(
    code: Extract<ErrorCode, 'not_found' | 'conflict' | 'validation_failed' | 'bad_request'>,
    message: string,
  ) {
    super(code, message);
  }
}
