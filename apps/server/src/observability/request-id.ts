import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { withLogContext } from './log-context';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What an incoming id may look like: short, and nothing a log viewer or a header could misread. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

declare global {
  namespace Express {
    interface Request {
      /** This request's id: the caller's X-Request-Id when sane, else a fresh UUID. */
      id?: string;
    }
  }
}

/** The caller's id when it is sane (a proxy's or a client's, so their logs and ours share it), else a new one. */
export function requestIdOf(incoming: string | undefined): string {
  return incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Gives each request an id, echoes it in the `X-Request-Id` response header, and runs the rest of the request
 * in a log context carrying it, so every line its work logs (the error middleware's too) names it.
 */
export const requestIdMiddleware: RequestHandler = (req, res, next) => {
  const id = requestIdOf(req.get(REQUEST_ID_HEADER));
  req.id = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  withLogContext({ requestId: id }, next);
};
