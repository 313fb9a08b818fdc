import type { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import type { ControllerMetrics } from '../observability/metrics';
import { metricsAccess } from '../observability/metrics-access';
import { apiRouter } from './access';

/**
 * `GET /metrics` in the Prometheus text format. Declared `public` for the route guard because its own check,
 * `metricsAccess`, decides: the metrics token, a user token, or (no metrics token configured) a loopback peer.
 */
export function metricsRouter(auth: AuthService, metrics: ControllerMetrics, metricsToken?: string): Router {
  const api = apiRouter(auth);
  api.get('/metrics', 'public', metricsAccess(auth, metricsToken), async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.set('Cache-Control', 'no-store').type(contentType).send(body);
  });
  return api.router;
}
