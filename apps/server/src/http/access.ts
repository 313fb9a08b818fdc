import { timingSafeEqual } from 'node:crypto';
import { CSRF_HEADER, type Role, roleAtLeast } from '@deploybot/shared';
import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import type { AuthService, Principal } from '../auth/auth.service';
import { HttpError } from './http-error';
import { principalOf } from './principal';

/** Who may call a route: anyone (`public`), or a signed-in user with at least this role. */
export type Access = 'public' | Role;

/** The middleware every route starts with; `access` is what it enforces (the security tests read it). */
export type AccessGuard = RequestHandler & { readonly access: Access };

/** Express 5 forwards a rejected promise to the error middleware, so handlers may be async. */
type Handler = (req: Request, res: Response, next: NextFunction) => unknown;
type Method = 'get' | 'post' | 'patch' | 'delete';

/**
 * A router whose routes cannot be declared without saying who may call them. The check is part of the route
 * itself, so whatever spelling of a path reaches a handler has passed that handler's own check: there is no
 * second table of path patterns that could disagree with how Express matches.
 */
export interface ApiRouter {
  readonly router: Router;
  get(path: string, access: Access, ...handlers: Handler[]): ApiRouter;
  post(path: string, access: Access, ...handlers: Handler[]): ApiRouter;
  patch(path: string, access: Access, ...handlers: Handler[]): ApiRouter;
  delete(path: string, access: Access, ...handlers: Handler[]): ApiRouter;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Builds the guard for one route: authenticates (API token or session cookie + CSRF on writes), then checks the role. */
export function accessGuard(auth: AuthService, access: Access): AccessGuard {
  const guard: RequestHandler = async (req, _res, next) => {
    if (access === 'public') return next();
    const principal = await principalOf(auth, req.headers);
    if (!principal) {
      throw new HttpError(401, 'unauthorized', 'sign in, or send an API token as "Authorization: Bearer …"');
    }
    if (principal.via === 'session' && !SAFE_METHODS.has(req.method)) {
      const sent = req.get(CSRF_HEADER);
      if (!sent || !principal.csrfToken || !sameSecret(sent, principal.csrfToken)) {
        throw new HttpError(403, 'forbidden', `missing or wrong ${CSRF_HEADER} header`);
      }
    }
    if (!roleAtLeast(principal.user.role, access)) {
      throw new HttpError(403, 'forbidden', `this needs the ${access} role; you are ${principal.user.role}`);
    }
    req.principal = principal;
    next();
  };
  return Object.assign(guard, { access });
}

/**
 * Express matches paths case-insensitively and ignores a trailing slash unless told otherwise; API routers
 * match exactly what they declare, so `/v1/USERS` and `/v1/users/` are simply not routes.
 */
export function apiRouter(auth: AuthService): ApiRouter {
  const router = Router({ caseSensitive: true, strict: true });
  const api = { router } as ApiRouter;
  for (const method of ['get', 'post', 'patch', 'delete'] as const satisfies readonly Method[]) {
    api[method] = (path, access, ...handlers) => {
      router[method](path, accessGuard(auth, access), ...(handlers as RequestHandler[]));
      return api;
    };
  }
  return api;
}

/**
 * The signed-in caller of a request. Routes that are not public have passed their guard, which sets it; a
 * route that reaches this without one fails closed with 401, never acting as somebody by default.
 */
export function signedIn(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthorized', 'this needs a signed-in user');
  return req.principal;
}

/**
 * Only canonical spellings of API paths are routes: `/v1` and `/health` exactly in lower case, no trailing
 * slash, no empty segment. Anything else under those prefixes is 404 before any router sees it, so a mount
 * point's own slash handling (`/v1/agents/` reaching the `/` route) cannot open a second spelling.
 */
export const refuseNonCanonicalApiPaths: RequestHandler = (req, _res, next) => {
  const path = req.path;
  const api = /^\/(v1|health)(\/|$)/i.exec(path);
  if (!api) return next();
  const canonical = (api[1] === 'v1' || api[1] === 'health') && !path.endsWith('/') && !path.includes('//');
  if (!canonical) return next(new HttpError(404, 'not_found', `no route ${req.method} ${path}`));
  next();
};
