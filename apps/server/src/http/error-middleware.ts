import type { ErrorBody } from '@deploybot/shared';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AuthError } from '../auth/auth.service';
import { EngineError } from '../engine/errors';
import { StaleRunError } from '../engine/ports';
import { AgentUnavailableError } from '../fleet/agent-gateway';
import { FleetError } from '../fleet/agents.service';
import { HttpError } from './http-error';
import { findUnsafeText } from './safe-text';

const ENGINE_STATUS = { not_found: 404, conflict: 409, validation_failed: 400 } as const;
const AUTH_STATUS = { unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409 } as const;

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof EngineError)
    return new HttpError(ENGINE_STATUS[err.code], err.code, err.message, err.details);
  if (err instanceof AuthError) return new HttpError(AUTH_STATUS[err.code], err.code, err.message);
  if (err instanceof FleetError) return new HttpError(ENGINE_STATUS[err.code], err.code, err.message);
  if (err instanceof AgentUnavailableError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof StaleRunError)
    return new HttpError(409, 'conflict', 'the run changed meanwhile; reload it and try again');
  // body-parser's errors carry `type` and `status`.
  const e = err as { type?: string; status?: number };
  if (e.type === 'entity.parse.failed') return new HttpError(400, 'bad_request', 'malformed JSON body');
  if (e.type === 'entity.too.large')
    return new HttpError(413, 'payload_too_large', 'request body is too large');
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return new HttpError(415, 'bad_request', 'unsupported body encoding');
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_request', 'bad request');
  }
  return new HttpError(500, 'internal', 'internal error');
}

/** The one error middleware: every failure leaves as `{ error: { code, message, details? } }`, never a stack. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500)
      logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    const body: ErrorBody = {
      error: {
        code: httpError.code,
        message: httpError.message,
        ...(httpError.details !== undefined && { details: httpError.details }),
      },
    };
    res.status(httpError.status).json(body);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`));
};

/** Refuses NUL bytes, unpaired surrogates and absurd nesting anywhere in the path, query or body (see safe-text.ts). */
export const refuseUnsafeText: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new HttpError(400, 'bad_request', 'malformed percent-encoding in the path'));
  }
  const found =
    findUnsafeText(path, 'path') ??
    findUnsafeText(req.query, 'query') ??
    findUnsafeText(req.body ?? null, 'body');
  if (found) {
    return next(new HttpError(400, 'validation_failed', found.message, [found]));
  }
  next();
};

/**
 * A body that is not JSON would be skipped by the JSON parser and read as "no body"; refuse it instead, so a
 * request never runs with its fields silently dropped.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    return next(new HttpError(415, 'bad_request', 'request body must be application/json'));
  }
  next();
};
