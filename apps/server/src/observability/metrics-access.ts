import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AuthService } from '../auth/auth.service';
import { HttpError } from '../http/http-error';
import { principalOf } from '../http/principal';

/** The socket's own peer addresses that are this machine (X-Forwarded-For is never consulted: anyone can send it). */
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.has(address);
}

function sameSecret(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may read /metrics. With `DEPLOYBOT_METRICS_TOKEN` set: `Authorization: Bearer <that token>`, or any
 * signed-in user. Unset: a scraper on this machine (the TCP peer is loopback) without a token, anyone else
 * signed in. Metrics name workflows and counts, not secrets, but they are no business of the whole network.
 */
export function metricsAccess(auth: AuthService, metricsToken: string | undefined): RequestHandler {
  return async (req, _res, next) => {
    const bearer = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (metricsToken !== undefined && bearer !== undefined && sameSecret(bearer, metricsToken)) return next();
    if (metricsToken === undefined && isLoopback(req.socket.remoteAddress)) return next();
    if (await principalOf(auth, req.headers)) return next();
    throw new HttpError(
      401,
      'unauthorized',
      metricsToken === undefined
        ? 'metrics are open to this machine only: from elsewhere send a user API token as "Authorization: Bearer …"'
        : 'send the metrics token (DEPLOYBOT_METRICS_TOKEN) or a user API token as "Authorization: Bearer …"',
    );
  };
}
