import { timingSafeEqual } from 'node:crypto';
import { CSRF_HEADER, roleAtLeast, SESSION_COOKIE } from '@deploybot/shared';
import { parseCookie } from 'cookie';
import type { RequestHandler } from 'express';
import type { AuthService, Principal } from '../auth/auth.service';
import { requiredRole } from './access-policy';
import { HttpError } from './http-error';

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who is calling: a Bearer API token, or the session cookie. Unknown or absent credentials leave it unset. */
export async function principalOf(
  auth: AuthService,
  headers: { authorization?: string; cookie?: string },
): Promise<Principal | null> {
  const bearer = /^Bearer (\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return auth.fromApiToken(bearer);
  const cookie = headers.cookie ? parseCookie(headers.cookie)[SESSION_COOKIE] : undefined;
  return cookie ? auth.fromSessionCookie(cookie) : null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Authenticates every request and enforces the access table; cookie-authenticated writes need the CSRF token. */
export function authenticate(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    try {
      const need = requiredRole(req.method, req.path);
      if (need === 'public') return next();
      const principal = await principalOf(auth, req.headers);
      if (!principal)
        throw new HttpError(
          401,
          'unauthorized',
          'sign in, or send an API token as "Authorization: Bearer …"',
        );
      if (principal.via === 'session' && !SAFE_METHODS.has(req.method)) {
        const sent = req.get(CSRF_HEADER);
        if (!sent || !principal.csrfToken || !sameSecret(sent, principal.csrfToken)) {
          throw new HttpError(403, 'forbidden', `missing or wrong ${CSRF_HEADER} header`);
        }
      }
      if (!roleAtLeast(principal.user.role, need)) {
        throw new HttpError(403, 'forbidden', `this needs the ${need} role; you are ${principal.user.role}`);
      }
      req.principal = principal;
      next();
    } catch (err) {
      next(err);
    }
  };
}
