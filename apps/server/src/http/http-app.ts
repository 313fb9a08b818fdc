import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Assistant } from '../assistant/assistant';
import type { AuditLog } from '../auth/audit-log';
import type { AuthService } from '../auth/auth.service';
import type { GuardedWorkflows } from '../auth/guarded-workflows';
import type { Db } from '../db/db';
import { RunHistoryStore } from '../db/run-history.store';
import { RunTrendsStore } from '../db/run-trends.store';
import type { WorkflowEngine } from '../engine/engine';
import type { Fleet } from '../fleet/fleet';
import type { ControllerMetrics } from '../observability/metrics';
import { requestIdMiddleware } from '../observability/request-id';
import { requestLog } from '../observability/request-log';
import type { TriggerService } from '../triggers/trigger-service';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { refuseNonCanonicalApiPaths } from './access';
import type { ActorResolver } from './actor';
import { assistantRouter } from './assistant.routes';
import { authRouter } from './auth.routes';
import {
  errorMiddleware,
  notFoundHandler,
  refuseUnsafeText,
  requireJsonBody,
  YAML_MEDIA_TYPES,
} from './error-middleware';
import { agentsRouter, hostsRouter, jobsRouter, repositoriesRouter } from './fleet.routes';
import { healthRouter } from './health.routes';
import { metricsRouter } from './metrics.routes';
import { hookBodyParser, hooksRouter, triggersRouter } from './triggers.routes';
import { workflowsRouter } from './workflows.routes';

export interface HttpDeps {
  db: Db;
  engine: WorkflowEngine;
  fleet: Fleet;
  logger: Logger;
  actorOf: ActorResolver;
  auth: AuthService;
  audit: AuditLog;
  /** The engine's commands behind the decision policy and the audit log. */
  workflows: GuardedWorkflows;
  catalog: WorkflowCatalog;
  /** Origins allowed to call the API from a browser (CORS); empty means same-origin only. */
  corsOrigins: string[];
  /** Login attempts allowed per address per minute. */
  loginLimitPerMinute: number;
  /** Browsers reach us over HTTPS only: HSTS, upgrade-insecure-requests and a Secure session cookie. */
  https: boolean;
  /** Express's `trust proxy` (which X-Forwarded-For / -Proto to believe). */
  trustProxy: boolean | number | string[];
  version: string;
  /** The web app's build directory, served at `/` when it exists. */
  webDist?: string;
  /** Chat sessions, provider status and the chat itself, under /v1/ai. */
  assistant: Assistant;
  /** Triggers (/v1/triggers) and their signed webhooks (/v1/hooks). */
  triggers: TriggerService;
  /** Served at /metrics. */
  metrics: ControllerMetrics;
  /** DEPLOYBOT_METRICS_TOKEN: when set, /metrics wants it (or a user token) from everyone, loopback included. */
  metricsToken?: string;
  /** Whether the run-lease loop is renewing (/health/ready); absent counts as alive. */
  leaseLoopAlive?: () => boolean;
}

/** Express with every router mounted; no listening, no globals, so tests build it as they like. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Routes match exactly what they declare; see refuseNonCanonicalApiPaths for the mount points.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy);
  // First: every answer, a refusal by a later middleware included, carries the request's id, and so do its logs.
  app.use(requestIdMiddleware);
  app.use(requestLog(deps.logger));
  // Helmet's defaults assume HTTPS: over plain HTTP on any name but localhost, `upgrade-insecure-requests`
  // sends the browser to https:// for every script and stylesheet (a blank page), and HSTS pins the host.
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: deps.https ? [] : null } },
      strictTransportSecurity: deps.https ? { maxAge: 31_536_000 } : false,
    }),
  );
  if (deps.corsOrigins.length > 0) app.use(cors({ origin: deps.corsOrigins, credentials: true }));
  // Workflow documents come as YAML or JSON, up to 256 KiB (the compiler's own limit); everything else is JSON.
  app.use(
    '/v1/ai/workflows/definitions',
    express.json({ limit: '256kb', strict: true }),
    express.text({ type: YAML_MEDIA_TYPES, limit: '256kb' }),
  );
  // Webhook deliveries are signed over their raw bytes, which this parser keeps (up to 1 MiB).
  app.use('/v1/hooks', ...hookBodyParser());
  app.use(express.json({ limit: '100kb', strict: true }));
  app.use(requireJsonBody);
  app.use(refuseUnsafeText);
  app.use(refuseNonCanonicalApiPaths);

  // Every route declares who may call it (ApiRouter); nothing here authenticates on a path's behalf.
  const { auth, actorOf } = deps;
  app.use('/health', healthRouter(auth, deps.db, deps.version, { leaseLoopAlive: deps.leaseLoopAlive }));
  // At the root, strict and case-sensitive: `/metrics/` and `/METRICS` are no route.
  app.use(metricsRouter(auth, deps.metrics, deps.metricsToken));
  app.use(
    '/v1',
    authRouter(auth, deps.audit, { loginLimitPerMinute: deps.loginLimitPerMinute, https: deps.https }),
  );
  app.use(
    '/v1/ai/workflows',
    workflowsRouter(
      auth,
      deps.engine,
      deps.workflows,
      actorOf,
      deps.audit,
      deps.catalog,
      new RunHistoryStore(deps.db),
      new RunTrendsStore(deps.db),
    ),
  );
  app.use('/v1/agents', agentsRouter(auth, deps.fleet, actorOf));
  app.use('/v1/repositories', repositoriesRouter(auth, deps.fleet, actorOf));
  app.use('/v1/jobs', jobsRouter(auth, deps.fleet, actorOf));
  app.use('/v1/hosts', hostsRouter(auth, deps.fleet));
  app.use('/v1/ai', assistantRouter(auth, deps.assistant, actorOf));
  app.use('/v1/triggers', triggersRouter(auth, deps.triggers, actorOf));
  app.use('/v1/hooks', hooksRouter(auth, deps.triggers));
  app.use('/v1', notFoundHandler);

  if (deps.webDist && existsSync(join(deps.webDist, 'index.html'))) {
    const dist = deps.webDist;
    app.use(express.static(dist, { index: 'index.html', maxAge: '1h' }));
    // The SPA owns every other GET path.
    app.get(/^\/(?!v1\/|socket\.io\/|health|metrics(\/|$)).*/, (_req, res) =>
      res.sendFile(join(dist, 'index.html')),
    );
  }

  app.use(notFoundHandler);
  app.use(errorMiddleware(deps.logger));
  return app;
}
