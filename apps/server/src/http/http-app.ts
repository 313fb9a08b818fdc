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
import type { WorkflowEngine } from '../engine/engine';
import type { Fleet } from '../fleet/fleet';
import type { ActorResolver } from './actor';
import { assistantRouter } from './assistant.routes';
import { authenticate } from './auth.middleware';
import { authRouter } from './auth.routes';
import { errorMiddleware, notFoundHandler, refuseUnsafeText, requireJsonBody } from './error-middleware';
import { agentsRouter, hostsRouter, jobsRouter, repositoriesRouter } from './fleet.routes';
import { healthRouter } from './health.routes';
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
  /** Origins allowed to call the API from a browser (CORS); empty means same-origin only. */
  corsOrigins: string[];
  /** Login attempts allowed per address per minute. */
  loginLimitPerMinute: number;
  version: string;
  /** The web app's build directory, served at `/` when it exists. */
  webDist?: string;
  /** Chat sessions, provider status and the chat itself, under /v1/ai. */
  assistant: Assistant;
}

/** Express with every router mounted; no listening, no globals, so tests build it as they like. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(helmet());
  if (deps.corsOrigins.length > 0) app.use(cors({ origin: deps.corsOrigins, credentials: true }));
  app.use(express.json({ limit: '100kb', strict: true }));
  app.use(requireJsonBody);
  app.use(refuseUnsafeText);
  app.use(authenticate(deps.auth));

  app.use('/health', healthRouter(deps.db, deps.version));
  app.use('/v1', authRouter(deps.auth, deps.audit, { loginLimitPerMinute: deps.loginLimitPerMinute }));
  app.use('/v1/ai/workflows', workflowsRouter(deps.engine, deps.workflows, deps.actorOf, deps.audit));
  app.use('/v1/agents', agentsRouter(deps.fleet, deps.actorOf));
  app.use('/v1/repositories', repositoriesRouter(deps.fleet, deps.actorOf));
  app.use('/v1/jobs', jobsRouter(deps.fleet, deps.actorOf));
  app.use('/v1/hosts', hostsRouter(deps.fleet));
  app.use('/v1/ai', assistantRouter(deps.assistant, deps.actorOf));
  app.use('/v1', notFoundHandler);

  if (deps.webDist && existsSync(join(deps.webDist, 'index.html'))) {
    const dist = deps.webDist;
    app.use(express.static(dist, { index: 'index.html', maxAge: '1h' }));
    // The SPA owns every other GET path.
    app.get(/^\/(?!v1\/|socket\.io\/|health).*/, (_req, res) => res.sendFile(join(dist, 'index.html')));
  }

  app.use(notFoundHandler);
  app.use(errorMiddleware(deps.logger));
  return app;
}
