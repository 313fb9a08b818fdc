import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One `debug` line per finished request (LOG_LEVEL=debug turns it into an access log): method, path without its
 * query (which may carry what nobody should log), status and time, with the request id set by
 * requestIdMiddleware, named explicitly as the response may finish outside the request's log context.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    res.once('finish', () => {
      logger.debug(
        {
          requestId: req.id,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'request finished',
      );
    });
    next();
  };
}
