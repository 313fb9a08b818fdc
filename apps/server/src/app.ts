import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import {
  type ClientToServerEvents,
  type ServerToClientEvents,
  SOCKET_MAX_MESSAGE_BYTES,
  type WorkflowEvent,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { type Assistant, createAssistant } from './assistant/assistant';
import { type AssistantConfig, DEFAULT_ASSISTANT_CONFIG } from './assistant/config';
import type { Explain } from './assistant/explain';
import { buildExplainer } from './assistant/providers';
import { runRecords } from './assistant/run-records';
import { AuditLog } from './auth/audit-log';
import { AuthService } from './auth/auth.service';
import { DecisionPolicy, type DecisionPolicyOptions } from './auth/decision-policy';
import { GuardedWorkflows } from './auth/guarded-workflows';
import { UsersStore } from './auth/users.store';
import { LeaseKeeper } from './cluster/lease-keeper';
import type { Db } from './db/db';
import { DefinitionsStore } from './db/definitions.store';
import { RunHistoryStore } from './db/run-history.store';
import { SqlRunLeases } from './db/run-leases';
import { SqlWorkflowStore } from './db/workflow-store';
import { WorkflowEngine } from './engine/engine';
import { type ChildRuns, coreStepKinds } from './engine/kinds/core-kinds';
import { type Clock, systemClock, type WorkflowStore } from './engine/ports';
import { SecretBox } from './engine/secrets';
import { StepKindRegistry } from './engine/step-kind';
import type { WorkflowDefinition } from './engine/types';
import type { AgentNamespace } from './fleet/agent-gateway';
import { Fleet, type FleetOptions } from './fleet/fleet';
import { type ActorResolver, principalActor } from './http/actor';
import { createHttpApp } from './http/http-app';
import { createMetrics, type LeaseStats } from './observability/metrics';
import { registerChatHandlers } from './realtime/chat-socket';
import { registerFleetHandlers } from './realtime/fleet-socket';
import { attachSocketAdapter, type SocketAdapter } from './realtime/socket-adapter';
import { authenticateSockets, originAllowed, sessionRoom, userRoom } from './realtime/socket-auth';
import { DEFAULT_SOCKET_LIMITS, guardSockets, type SocketLimits } from './realtime/socket-guard';
import { registerWorkflowHandlers } from './realtime/workflow-socket';
import { TriggerService } from './triggers/trigger-service';
import { agentWaitKey, enrollmentWaitKey, jobWaitKey } from './workflows/kinds';
import { type BuiltInDocument, WorkflowCatalog } from './workflows/workflow-catalog';

export interface AppDeps {
  db: Db;
  logger: Logger;
  /**
   * The step kinds and built-in documents, built with the fleet they act on (and the assistant's explainer);
   * tests may add definitions written in TypeScript.
   */
  workflows: (fleet: Fleet, extras: WorkflowExtras) => WorkflowSetup;
  fleet: FleetOptions;
  version: string;
  security: SecurityOptions;
  /** Seals secret inputs at rest. Default: a key that lives as long as this process. */
  secrets?: SecretBox;
  /** Wraps the workflow store (the benchmark times commits this way). Default: none. */
  wrapStore?: (store: WorkflowStore) => WorkflowStore;
  clock?: Clock;
  webDist?: string;
  /** How often the fleet looks for stale agents and lost jobs. */
  fleetSweepMs?: number;
  /** Chat provider configuration. Default: the built-in `local` assistant. */
  assistant?: AssistantConfig;
  /** How often a controller looks for triggers changed by another controller. Default 5 s. */
  triggerPollMs?: number;
  /** This controller among those sharing the database (which one holds an agent's socket). Default: a random UUID. */
  controllerId?: string;
  /**
   * On PostgreSQL, how long this controller's lease on its runs lasts unless renewed (renewed four times as
   * often): the time within which another controller takes over the runs of one that died. Default 10 s.
   */
  leaseMs?: number;
  /** REDIS_URL: Socket.IO crosses controllers through Redis; else through PostgreSQL when that is the database. */
  redisUrl?: string;
  /** DEPLOYBOT_METRICS_TOKEN: when set, /metrics wants it (or a user token); unset, loopback reads it freely. */
  metricsToken?: string;
  /** Run leases held and taken over, for /metrics. Default: none (both 0). */
  leaseStats?: () => LeaseStats;
  /** Whether the run-lease loop is renewing, for /health/ready. Default: always. */
  leaseLoopAlive?: () => boolean;
}

/** A dead controller's runs move again within this (on PostgreSQL); see AppDeps.leaseMs. */
export const DEFAULT_LEASE_MS = 10_000;

/** What a controller's workflows are made of. */
export interface WorkflowSetup {
  /** Step kinds besides the engine's own (wait, approval, input, set, workflow). */
  kinds: StepKindRegistryEntry[];
  /** Documents that ship with the controller, compiled and stored at start. */
  documents: BuiltInDocument[];
  /** Definitions written in TypeScript (tests): registered as they are, never stored. */
  definitions?: WorkflowDefinition[];
}

type StepKindRegistryEntry = Parameters<StepKindRegistry['add']>[0];

/** What the composition root hands to workflow definitions besides the fleet. */
export interface WorkflowExtras {
  /** Writes the short explanation of a diagnosis or a health report (a model when configured, else a template). */
  explain: Explain;
}

export interface SecurityOptions extends DecisionPolicyOptions {
  /** Browser origins allowed besides the controller's own (CORS and socket handshakes). */
  corsOrigins: string[];
  /** Login attempts per address per minute. */
  loginLimitPerMinute: number;
  /** Served over HTTPS only (HSTS, upgrade-insecure-requests, Secure cookie). Default false. */
  https?: boolean;
  /** Express's `trust proxy`: whose X-Forwarded-For / -Proto to believe. Default false. */
  trustProxy?: boolean | number | string[];
  /** Limits on web client sockets (requests at once, per second, per user; sockets per user). Default DEFAULT_SOCKET_LIMITS. */
  sockets?: Partial<SocketLimits>;
}

export interface App {
  http: HttpServer;
  io: SocketServer<ClientToServerEvents, ServerToClientEvents>;
  engine: WorkflowEngine;
  fleet: Fleet;
  auth: AuthService;
  audit: AuditLog;
  decisions: DecisionPolicy;
  assistant: Assistant;
  /** Stored workflow definitions and the step kinds they use. */
  catalog: WorkflowCatalog;
  /** Schedules, event triggers and signed webhooks that start workflows. */
  triggers: TriggerService;
  /** Recovers unfinished runs, starts timers, listens. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops taking requests and driving runs; the database stays open (the caller owns it). */
  close(): Promise<void>;
}

/** Builds the controller: fleet, engine, HTTP and Socket.IO on one server. No globals, so tests build as many as they like. */
export function createApp(deps: AppDeps): App {
  const clock = deps.clock ?? systemClock;
  const io = new SocketServer<ClientToServerEvents, ServerToClientEvents>({
    serveClient: false,
    // Agents size their log batches by this limit (packages/shared): the two must not drift apart.
    maxHttpBufferSize: SOCKET_MAX_MESSAGE_BYTES,
    allowRequest: (req, callback) => callback(null, originAllowed(req, deps.security.corsOrigins)),
  });
  const audit = new AuditLog(deps.db, clock);
  const users = new UsersStore(deps.db);
  const auth = new AuthService(users, audit, clock);
  const decisions = new DecisionPolicy(deps.security);
  auth.onAccessRevoked = (userId) => io.of('/').in(userRoom(userId)).disconnectSockets(true);
  auth.onSessionEnded = (hash) => io.of('/').in(sessionRoom(hash)).disconnectSockets(true);
  const actorOf: ActorResolver = principalActor;
  const secrets = deps.secrets ?? SecretBox.ephemeral();
  const controllerId = deps.controllerId ?? deps.fleet.controllerId ?? randomUUID();
  // PGlite is one process (its data directory is locked): that controller owns every run, no leases needed.
  const leases =
    deps.db.kind === 'postgres'
      ? new SqlRunLeases(deps.db, { controllerId, leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS })
      : undefined;
  let keeper: LeaseKeeper | undefined;
  const metrics = createMetrics({
    db: deps.db,
    clock,
    offlineAfterMs: deps.fleet.offlineAfterMs,
    socketCounts: () => [...io._nsps].map(([name, nsp]) => [name, nsp.sockets.size] as const),
    leaseStats: deps.leaseStats ?? (() => keeper?.stats() ?? { held: engine.ownedCount(), takenOver: 0 }),
    logger: deps.logger,
  });
  const fleet = new Fleet(
    deps.db,
    io.of('/agents') as unknown as AgentNamespace,
    // The caller's object itself: tests change a limit (a join token's lifetime) on it while the app runs.
    deps.fleet,
    clock,
    deps.logger,
    audit,
    secrets,
    controllerId,
  );
  let forward: (event: WorkflowEvent) => void = () => {};
  let narrate: (event: WorkflowEvent) => void = () => {};
  let fireTriggers: (event: WorkflowEvent) => void = () => {};
  // A rollback a person asks for is audited by the route; one a failed `on_failure: rollback` run starts by
  // itself is audited here, in the name it runs under ("rollback of <run>").
  const auditAutomaticRollback = (event: WorkflowEvent) => {
    const run = event.run;
    if (event.type !== 'run.started' || !run.rollbackOf || run.inputs?.automatic !== 'yes') return;
    audit
      .record(run.startedBy, 'workflow.rollback', run.id, { rollbackOf: run.rollbackOf, automatic: true })
      .catch((err) => deps.logger.error({ err, runId: run.id }, 'could not audit an automatic rollback'));
  };
  const assistantConfig = deps.assistant ?? DEFAULT_ASSISTANT_CONFIG;
  const setup = deps.workflows(fleet, { explain: buildExplainer(assistantConfig) });
  // The `workflow` kind starts child runs on the engine built just below.
  const children: ChildRuns = {
    start: (name, version, inputs, startedBy, opts) =>
      engine.start(name, inputs, startedBy, { version, ...opts }),
    get: (runId) => engine.get(runId).catch(() => null),
    cancel: async (runId, by, reason) => {
      await engine.cancel(runId, { by, reason }).catch(() => {});
    },
  };
  const registry = new StepKindRegistry([...coreStepKinds(children), ...setup.kinds]);
  const engine = new WorkflowEngine({
    store: (deps.wrapStore ?? ((store) => store))(
      metrics.timeCommits(new SqlWorkflowStore(deps.db, { owner: leases?.controllerId })),
    ),
    leases,
    definitions: setup.definitions ?? [],
    secrets,
    clock,
    onEvent: (event) => {
      metrics.observe(event);
      forward(event);
      narrate(event);
      fireTriggers(event);
      auditAutomaticRollback(event);
    },
    onError: (err, runId) => deps.logger.error({ err, runId }, 'workflow driver error'),
  });
  if (leases)
    keeper = new LeaseKeeper(leases, engine, {
      leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS,
      logger: deps.logger.child({ component: 'leases' }),
    });
  const catalog = new WorkflowCatalog(
    new DefinitionsStore(deps.db),
    engine,
    registry,
    audit,
    clock,
    deps.logger.child({ component: 'workflow-catalog' }),
  );
  // The fleet ends durable waits: a job that finished, an agent back online, an enrolling agent that said hello.
  const wake = (key: string, payload: unknown) =>
    void engine
      .resolveWait(key, payload)
      .catch((err) => deps.logger.error({ err, key }, 'waking parked steps'));
  fleet.events.on('job', (job) => {
    if (job.status !== 'pending' && job.status !== 'running') wake(jobWaitKey(job.id), job);
  });
  fleet.events.on('agent', (agent) => {
    if (agent.status === 'online') wake(agentWaitKey(agent.hostname), agent);
  });
  fleet.events.on('enrollment', (e) => wake(enrollmentWaitKey(e.joinTokenId), e));
  // Triggers start runs on schedules, on these fleet and workflow events, and on signed webhooks.
  const triggers = new TriggerService({
    db: deps.db,
    engine,
    audit,
    secrets,
    clock,
    logger: deps.logger.child({ component: 'triggers' }),
    pollMs: deps.triggerPollMs,
  });
  fleet.events.on('job', (job) => triggers.onJob(job));
  fleet.events.on('agent', (agent) => triggers.onAgent(agent));
  fireTriggers = (event) => triggers.onWorkflowEvent(event);
  // REST and chat go through the same guard: decision policy and audit for every command a person gives.
  const guarded = new GuardedWorkflows(engine, decisions, audit, users);
  const assistant = createAssistant({
    db: deps.db,
    fleet,
    workflows: guarded,
    triggers,
    records: runRecords(engine, new RunHistoryStore(deps.db)),
    // A person's own chat message recognised by the server as an approval or rejection (never a model's).
    decide: (runId, cmd) => guarded.decide(runId, cmd),
    config: assistantConfig,
    clock,
    logger: deps.logger,
  });
  narrate = assistant.onWorkflowEvent;
  const express = createHttpApp({
    db: deps.db,
    engine,
    fleet,
    logger: deps.logger,
    actorOf,
    auth,
    audit,
    workflows: guarded,
    catalog,
    corsOrigins: deps.security.corsOrigins,
    loginLimitPerMinute: deps.security.loginLimitPerMinute,
    https: deps.security.https ?? false,
    trustProxy: deps.security.trustProxy ?? false,
    version: deps.version,
    webDist: deps.webDist,
    assistant,
    triggers,
    metrics,
    metricsToken: deps.metricsToken,
    leaseLoopAlive: deps.leaseLoopAlive ?? (() => keeper?.alive() ?? true),
  });
  // Socket.IO takes its own path off this server and hands every other request to Express.
  const http = createServer(express);
  io.attach(http);
  const socketLogger = deps.logger.child({ component: 'sockets' });
  authenticateSockets(io.of('/'), auth, socketLogger);
  const socketLimits: SocketLimits = { ...DEFAULT_SOCKET_LIMITS, ...deps.security.sockets };
  guardSockets(io.of('/'), socketLimits, deps.logger.child({ component: 'socket-guard' }));
  forward = registerWorkflowHandlers(io.of('/'), engine, socketLogger);
  registerFleetHandlers(io.of('/'), fleet, socketLimits, socketLogger);
  registerChatHandlers(io.of('/'), assistant, socketLogger);

  let adapter: SocketAdapter | null = null;

  return {
    http,
    io,
    engine,
    fleet,
    auth,
    audit,
    decisions,
    assistant,
    catalog,
    triggers,
    async listen(port, host = '0.0.0.0') {
      // Every stored version is known before a request, a recovered run or a socket can ask for one.
      await catalog.load(setup.documents);
      // Before any request or agent can see a stored URL that still carries credentials.
      const sealed = await fleet.repositories.sealStoredCredentials();
      if (sealed > 0) deps.logger.info({ sealed }, 'sealed credentials found in repository URLs');
      // Before any request: a run this controller starts names it as its owner.
      await keeper?.register();
      // Before the first socket: rooms and broadcasts reach the sockets held by the other controllers.
      adapter = await attachSocketAdapter(io, {
        db: deps.db,
        redisUrl: deps.redisUrl,
        logger: deps.logger.child({ component: 'socket-adapter' }),
      });
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve());
      });
      await assistant.recover();
      // Listen first: recovered runs may wait for agents, which need the port to reconnect.
      // With leases: claims the runs of controllers whose lease ran out (or that shut down), then keeps doing so.
      const recovered = await engine.recover();
      if (recovered > 0) deps.logger.info({ recovered }, 'resumed unfinished workflow runs');
      await keeper?.start();
      await engine.startDeadlineTimer();
      fleet.startSweeper(deps.fleetSweepMs);
      // Once runs are recovered: a schedule's first firing may start one at once.
      await triggers.start();
      const address = http.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      await triggers.stop();
      await assistant.close();
      await engine.stop();
      // Its runs belong to nobody now: another controller claims them at once, not a lease later.
      await keeper?.stop();
      await fleet.close();
      await io.close(); // also closes the HTTP server
      await adapter?.close();
    },
  };
}
