import type { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import type { Db } from '../db/db';
import { DeployBotError } from '../errors/deploybot-error';
import { apiRouter } from './access';

/** Liveness plus a real database round-trip, so a load balancer sees a controller that cannot persist. */
export function healthRouter(auth: AuthService, db: Db, version: string): Router {
  const api = apiRouter(auth);
  api.get('/', 'public', async (_req, res) => {
    const started = performance.now();
    try {
      await db.query('SELECT 1');
      res.json({
        status: 'ok',
        version,
        database: { kind: db.kind, ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 },
      });
    } catch (err) {
      // The driver's message (refused connection, authentication) is what an operator needs to act on.
      throw new DeployBotError('unavailable', `database unreachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
  });
  return api.router;
}
