import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { toErrorBody } from '../errors/to-error-body';
import { HttpError } from './http-error';
import { findUnsafeText, UnsafeTextError } from './safe-text';

/** The one error middleware: every failure leaves as `{ error: { code, message, details? } }`, never a stack. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body, log } = toErrorBody(err);
    if (log) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    res.status(status).json(body);
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
    return next(new UnsafeTextError(found));
  }
  next();
};

/**
 * A body that is not JSON would be skipped by the JSON parser and read as "no body"; refuse it instead, so a
 * request never runs with its fields silently dropped.
 */
/** The media types a workflow document may be sent as besides JSON. */
export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  // A workflow document sent as YAML was read as text by its own parser (only that route has one).
  if (typeof req.body === 'string') return next();
  if (hasBody && !req.is('application/json')) {
    return next(new HttpError(415, 'bad_request', 'request body must be application/json'));
  }
  next();
};
