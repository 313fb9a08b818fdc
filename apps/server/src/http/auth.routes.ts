import {
  auditQuerySchema,
  createTokenBodySchema,
  createUserBodySchema,
  loginBodySchema,
  SESSION_COOKIE,
  tokenLoginBodySchema,
  updateUserBodySchema,
} from '@deploybot/shared';
import type { Request, Response, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { AuditLog } from '../auth/audit-log';
import type { AuthService } from '../auth/auth.service';
import { apiRouter, signedIn } from './access';
import { HttpError, parseOr400 } from './http-error';

const idSchema = z.string().min(1).max(64);

function setSessionCookie(req: Request, res: Response, value: string, https: boolean): void {
  res.cookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    // req.secure believes X-Forwarded-Proto only from a trusted proxy (DEPLOYBOT_TRUST_PROXY).
    secure: https || req.secure,
    path: '/',
    maxAge: 12 * 3_600_000,
  });
}

/** Login, logout, the current user, personal tokens, users (admin) and the audit log (admin). */
export function authRouter(
  auth: AuthService,
  audit: AuditLog,
  opts: { loginLimitPerMinute: number; https: boolean },
): Router {
  const api = apiRouter(auth);
  const me = signedIn;
  // Guessing passwords from one address is slowed down; a person who mistypes a few times is not.
  const loginLimiter = rateLimit({
    windowMs: 60_000,
    limit: opts.loginLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => {
      next(new HttpError(429, 'rate_limited', 'too many login attempts; wait a minute'));
    },
  });

  api.post('/auth/login', 'public', loginLimiter, async (req, res) => {
    const { username, password } = parseOr400(loginBodySchema, req.body, 'body');
    const { session, cookie } = await auth.login(username, password);
    setSessionCookie(req, res, cookie, opts.https);
    res.json(session);
  });
  api.post('/auth/token-login', 'public', loginLimiter, async (req, res) => {
    const { token } = parseOr400(tokenLoginBodySchema, req.body, 'body');
    const { session, cookie } = await auth.tokenLogin(token);
    setSessionCookie(req, res, cookie, opts.https);
    res.json(session);
  });
  api.get('/auth/me', 'viewer', (req, res) => {
    res.json({ user: me(req).user, csrfToken: me(req).csrfToken ?? '' });
  });
  api.post('/auth/logout', 'viewer', async (req, res) => {
    await auth.logout(me(req));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  api.get('/tokens', 'viewer', async (req, res) => {
    res.json({ tokens: await auth.listTokens(me(req).user) });
  });
  api.post('/tokens', 'viewer', async (req, res) => {
    const { name, expires_in_days } = parseOr400(createTokenBodySchema, req.body, 'body');
    res.status(201).json(await auth.createToken(me(req).user, name, expires_in_days));
  });
  api.delete('/tokens/:id', 'viewer', async (req, res) => {
    res.json(await auth.revokeToken(me(req).user, parseOr400(z.uuid(), req.params.id, 'params')));
  });

  api.get('/users', 'admin', async (_req, res) => {
    res.json({ users: await auth.listUsers() });
  });
  api.post('/users', 'admin', async (req, res) => {
    res
      .status(201)
      .json(await auth.createUser(me(req).user.username, parseOr400(createUserBodySchema, req.body, 'body')));
  });
  api.patch('/users/:id', 'admin', async (req, res) => {
    const id = parseOr400(idSchema, req.params.id, 'params');
    const { revoke_tokens, ...patch } = parseOr400(updateUserBodySchema, req.body, 'body');
    res.json(await auth.updateUser(me(req).user.username, id, { ...patch, revokeTokens: revoke_tokens }));
  });
  // An admin's view of another user's tokens, to find and cut one that leaked.
  api.get('/users/:id/tokens', 'admin', async (req, res) => {
    res.json({ tokens: await auth.listTokensOf(parseOr400(idSchema, req.params.id, 'params')) });
  });
  api.delete('/users/:id/tokens/:tokenId', 'admin', async (req, res) => {
    const id = parseOr400(idSchema, req.params.id, 'params');
    const tokenId = parseOr400(z.uuid(), req.params.tokenId, 'params');
    res.json(await auth.revokeTokenOf(me(req).user.username, id, tokenId));
  });
  api.delete('/users/:id', 'admin', async (req, res) => {
    await auth.deleteUser(me(req).user.username, parseOr400(idSchema, req.params.id, 'params'));
    res.status(204).end();
  });

  api.get('/audit', 'admin', async (req, res) => {
    res.json({ entries: await audit.list(parseOr400(auditQuerySchema, req.query, 'query')) });
  });
  return api.router;
}
