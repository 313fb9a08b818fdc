import type { ErrorBody, ErrorCode } from '@deploybot/shared';
import { z } from 'zod';
import { DeployBotError } from './deploybot-error';
import { issuesOf } from './field-issues';

/** How one failure is answered, wherever it is answered (REST, a socket ack, an agent's ack, a tool result). */
export interface ErrorAnswer {
  /** The HTTP status (REST only; the other edges carry the code alone). */
  status: number;
  body: ErrorBody;
  /** Whether the edge logs the error itself: the fault is the controller's (5xx), or its message was hidden. */
  log: boolean;
}

/** What a caller is told when the message of an error may not be shown. */
const GENERIC_MESSAGE: Readonly<Record<ErrorCode, string>> = {
  bad_request: 'bad request',
  validation_failed: 'validation failed',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not found',
  conflict: 'conflict',
  payload_too_large: 'payload too large',
  rate_limited: 'too many requests',
  internal: 'internal error',
  unavailable: 'service unavailable',
};

/** Bounds on what a zod error puts in an answer: a payload with thousands of bad items gets a short answer. */
const MAX_ISSUES = 20;
const MAX_ZOD_MESSAGE = 500;

/**
 * The one mapping from a thrown value to an answer. A DeployBotError answers with its code and status, with its
 * message and details if it may show them. A zod error is a `validation_failed` naming each field at fault. The
 * body parser's refusals are `bad_request`. Anything else is a fault of ours: `internal`, with a generic message
 * (the raw one may hold paths, SQL or addresses) and `log: true`.
 */
export function toErrorBody(err: unknown): ErrorAnswer {
  const known = recognise(err);
  if (!known) {
    return {
      status: 500,
      body: { error: { code: 'internal', message: GENERIC_MESSAGE.internal } },
      log: true,
    };
  }
  const { code, status, expose } = known;
  const body: ErrorBody = {
    error: {
      code,
      message: expose ? known.message : GENERIC_MESSAGE[code],
      ...(expose && known.details !== undefined && { details: known.details }),
    },
  };
  return { status, body, log: status >= 500 || !expose };
}

/** The DeployBotError a thrown value stands for; null for one nobody raised on purpose. */
function recognise(err: unknown): DeployBotError | null {
  if (err instanceof DeployBotError) return err;
  if (err instanceof z.core.$ZodError) return invalidPayload(err);
  return fromBodyParser(err);
}

function invalidPayload(err: z.core.$ZodError): DeployBotError {
  const issues = issuesOf(err);
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new DeployBotError('validation_failed', `invalid payload: ${text}`.slice(0, MAX_ZOD_MESSAGE), {
    details: issues.slice(0, MAX_ISSUES),
  });
}

/**
 * Express's body parser refuses with http-errors (`status` 4xx, `expose: true`, a `type`); a path parameter
 * that is not valid percent-encoding is a URIError with status 400. Other errors carrying a `status` (an HTTP
 * client's, say) are faults of ours, not of the request.
 */
function fromBodyParser(err: unknown): DeployBotError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { type?: unknown; status?: unknown; expose?: unknown };
  const clientError = typeof e.status === 'number' && e.status >= 400 && e.status < 500;
  if (!clientError || !(e.expose === true || err instanceof URIError)) return null;
  switch (e.type) {
    case 'entity.parse.failed':
      return new DeployBotError('bad_request', 'malformed JSON body');
    case 'entity.too.large':
      return new DeployBotError('payload_too_large', 'request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new DeployBotError('bad_request', 'unsupported body encoding', { status: 415 });
    default:
      return new DeployBotError('bad_request', 'bad request', { status: e.status as number });
  }
}
