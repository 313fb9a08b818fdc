import type { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import type { Db } from '../db/db';
import { DeployBotError } from '../errors/deploybot-error';
import { checkReadiness } from '../observability/readiness';
import { apiRouter } from './access';

export interface HealthOptions {
  /** Whether the run-lease loop is renewing; absent counts as alive. */
  leaseLoopAlive?: () => boolean;
}

/**
 * `/health`: liveness plus a real database round-trip, so a load balancer sees a controller that cannot persist.
 * `/health/live`: the process serves requests (restart it when this fails). `/health/ready`: database, migrations
 * and lease loop are fine (send it traffic only when this passes).
 */
export function healthRouter(auth: AuthService, db: Db, version: string, opts: HealthOptions = {}): Router {
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
  // Nothing but the event loop answering: a database outage must not get every controller restarted.
  api.get('/live', 'public', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  api.get('/ready', 'public', async (_req, res) => {
    const { ready, checks } = await checkReadiness({ db, leaseLoopAlive: opts.leaseLoopAlive });
    res.set('Cache-Control', 'no-store');
    if (ready) {
      res.json({ status: 'ok', checks });
      return;
    }
    const failed = Object.entries(checks)
      .filter(([, check]) => !check.ok)
      .map(([name, check]) => `${name}: ${check.error}`);
    throw new DeployBotError('unavailable', `not ready: ${failed.join('; ')}`, { details: { checks } });
  });
  return api.router;
}
