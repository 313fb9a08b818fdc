import { createServer, type Server as HttpServer } from 'node:http';
import type { ClientToServerEvents, ServerToClientEvents, WorkflowEvent } from '@deploybot/shared';
import type { Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';
import type { Db } from './db/db';
import { SqlWorkflowStore } from './db/workflow-store';
import { WorkflowEngine } from './engine/engine';
import type { Clock } from './engine/ports';
import type { WorkflowDefinition } from './engine/types';
import { type ActorResolver, anonymousActor } from './http/actor';
import { createHttpApp } from './http/http-app';
import { registerWorkflowHandlers } from './realtime/workflow-socket';

export interface AppDeps {
  db: Db;
  logger: Logger;
  definitions: WorkflowDefinition[];
  version: string;
  clock?: Clock;
  actorOf?: ActorResolver;
  webDist?: string;
  /** How often expired gate deadlines are looked for. */
  deadlineSweepMs?: number;
}

export interface App {
  http: HttpServer;
  io: SocketServer<ClientToServerEvents, ServerToClientEvents>;
  engine: WorkflowEngine;
  /** Recovers unfinished runs, starts timers, listens. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops taking requests and driving runs; the database stays open (the caller owns it). */
  close(): Promise<void>;
}

/** Builds the controller: engine, HTTP and Socket.IO on one server. No globals, so tests build as many as they like. */
export function createApp(deps: AppDeps): App {
  let forward: (event: WorkflowEvent) => void = () => {};
  const engine = new WorkflowEngine({
    store: new SqlWorkflowStore(deps.db),
    definitions: deps.definitions,
    clock: deps.clock,
    onEvent: (event) => forward(event),
    onError: (err, runId) => deps.logger.error({ err, runId }, 'workflow driver error'),
  });
  const express = createHttpApp({
    db: deps.db,
    engine,
    logger: deps.logger,
    actorOf: deps.actorOf ?? anonymousActor,
    version: deps.version,
    webDist: deps.webDist,
  });
  // Socket.IO takes its own path off this server and hands every other request to Express.
  const http = createServer(express);
  const io = new SocketServer<ClientToServerEvents, ServerToClientEvents>(http, { serveClient: false });
  forward = registerWorkflowHandlers(io.of('/'), engine);

  return {
    http,
    io,
    engine,
    async listen(port, host = '0.0.0.0') {
      const recovered = await engine.recover();
      if (recovered > 0) deps.logger.info({ recovered }, 'resumed unfinished workflow runs');
      engine.startDeadlineSweeper(deps.deadlineSweepMs);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve());
      });
      const address = http.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      await engine.stop();
      await io.close(); // also closes the HTTP server
    },
  };
}
