import type { ErrorCode } from '@deploybot/shared';

/**
 * The base of every error the controller raises on purpose. It says, once, what every edge needs to know:
 * which API code it answers with (and so its HTTP status), whether trying again may succeed (the engine retries
 * only such step failures), and whether its message may be shown to the caller (a message that may hold
 * internals is replaced by a generic one). REST, sockets, the agent gateway and the assistant's tools all turn
 * it into an answer with `toErrorBody` (to-error-body.ts).
 *
 * This module imports nothing but types: the engine, which must stay free of HTTP and sockets, uses it.
 */
export class DeployBotError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status of a REST answer; a socket ack carries the code alone. */
  readonly status: number;
  /** Whether the same action may succeed later (a busy or unreachable peer, a lost race). */
  readonly retryable: boolean;
  /** Whether `message` and `details` may be shown to the caller. */
  readonly expose: boolean;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: DeployBotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? STATUS_OF_CODE[code];
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
    this.expose = options.expose ?? code !== 'internal';
    if (options.details !== undefined) this.details = options.details;
  }
}

export interface DeployBotErrorOptions {
  /** Shown with the message (field issues of a `validation_failed`, the active run of a `conflict`…). */
  details?: unknown;
  /** Default: true for `rate_limited`, `unavailable` and `internal`; a caller's error fails the same way again. */
  retryable?: boolean;
  /** Default: true for every code but `internal`. */
  expose?: boolean;
  /** Only where the code's status is too coarse (415 for an unsupported body is still a `bad_request`). */
  status?: number;
  cause?: unknown;
}

/** The HTTP status each code answers with unless an error says otherwise. */
export const STATUS_OF_CODE: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** Codes of failures that may pass by themselves; a refusal of the request itself would only repeat. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['rate_limited', 'unavailable', 'internal']);

/**
 * Whether a failed step may be tried again under its retry policy: no when the error says `retryable: false`,
 * be it a DeployBotError or any other error carrying that property (the workflow compiler marks bad parameters
 * so). An error that says nothing (a socket timeout, a crashed git) may pass, so it is retried.
 */
export function isRetryable(err: unknown): boolean {
  return !(typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false);
}
