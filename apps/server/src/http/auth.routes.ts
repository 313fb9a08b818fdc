import {
  auditQuerySchema,
  createTokenBodySchema,
  createUserBodySchema,
  loginBodySchema,
  SESSION_COOKIE,
  tokenLoginBodySchema,
  updateUserBodySchema,
} from '@deploybot/shared';
import { type Request, type Response, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { AuditLog } from '../auth/audit-log';
import type { AuthService } from '../auth/auth.service';
import { parseOr400 } from './http-error';

const idSchema = z.string().min(1).max(64);

function setSessionCookie(req: Request, res: Response, value: string): void {
  res.cookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: '/',
    maxAge: 12 * 3_600_000,
  });
}

/** Login, logout, the current user, personal tokens, users (admin) and the audit log (admin). */
export function authRouter(
  auth: AuthService,
  audit: AuditLog,
  opts: { loginLimitPerMinute: number },
): Router {
  const router = Router();
  const me = (req: Request) => req.principal!;
  // Guessing passwords from one address is slowed down; a person who mistypes a few times is not.
  const loginLimiter = rateLimit({
    windowMs: 60_000,
    limit: opts.loginLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res
        .status(429)
        .json({ error: { code: 'rate_limited', message: 'too many login attempts; wait a minute' } });
    },
  });

  router.post('/auth/login', loginLimiter, async (req, res) => {
    const { username, password } = parseOr400(loginBodySchema, req.body, 'body');
    const { session, cookie } = await auth.login(username, password);
    setSessionCookie(req, res, cookie);
    res.json(session);
  });
  router.post('/auth/token-login', loginLimiter, async (req, res) => {
    const { token } = parseOr400(tokenLoginBodySchema, req.body, 'body');
    const { session, cookie } = await auth.tokenLogin(token);
    setSessionCookie(req, res, cookie);
    res.json(session);
  });
  router.get('/auth/me', (req, res) => {
    res.json({ user: me(req).user, csrfToken: me(req).csrfToken ?? '' });
  });
  router.post('/auth/logout', async (req, res) => {
    await auth.logout(me(req));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  router.get('/tokens', async (req, res) => {
    res.json({ tokens: await auth.listTokens(me(req).user) });
  });
  router.post('/tokens', async (req, res) => {
    const { name } = parseOr400(createTokenBodySchema, req.body, 'body');
    res.status(201).json(await auth.createToken(me(req).user, name));
  });
  router.delete('/tokens/:id', async (req, res) => {
    res.json(await auth.revokeToken(me(req).user, parseOr400(z.uuid(), req.params.id, 'params')));
  });

  router.get('/users', async (_req, res) => {
    res.json({ users: await auth.listUsers() });
  });
  router.post('/users', async (req, res) => {
    res
      .status(201)
      .json(await auth.createUser(me(req).user.username, parseOr400(createUserBodySchema, req.body, 'body')));
  });
  router.patch('/users/:id', async (req, res) => {
    const id = parseOr400(idSchema, req.params.id, 'params');
    res.json(
      await auth.updateUser(me(req).user.username, id, parseOr400(updateUserBodySchema, req.body, 'body')),
    );
  });
  router.delete('/users/:id', async (req, res) => {
    await auth.deleteUser(me(req).user.username, parseOr400(idSchema, req.params.id, 'params'));
    res.status(204).end();
  });

  router.get('/audit', async (req, res) => {
    res.json({ entries: await audit.list(parseOr400(auditQuerySchema, req.query, 'query')) });
  });
  return router;
}
