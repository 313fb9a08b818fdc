import type { AiStatusDto, WorkflowEvent } from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Db } from '../db/db';
import type { Clock } from '../engine/ports';
import type { Fleet } from '../fleet/fleet';
import { ChatEvents } from './chat-events';
import { ChatService } from './chat-service';
import type { AssistantConfig } from './config';
import { Conversation } from './conversation';
import { loadFleetSnapshot } from './local/resolver';
import { Narrator } from './narration';
import { buildProviders } from './providers';
import { RollbackLinks } from './rollback-links';
import type { AssistantRunRecords } from './run-records';
import { ChatStore } from './session-store';
import { buildToolRegistry } from './tools';
import type { ToolRegistry } from './tools/registry';
import type { AssistantTriggers } from './triggers-port';
import type { AssistantWorkflows, DecideFn } from './workflows-port';

export interface AssistantDeps {
  db: Db;
  fleet: Fleet;
  workflows: AssistantWorkflows;
  /** Triggers to list and proposals to check (never to create: a person's click does). */
  triggers: AssistantTriggers;
  /** Past runs: history, timelines, rollback plans (read-only). */
  records: AssistantRunRecords;
  /** Decides a gate for a person who wrote an unambiguous approval or rejection (see approval-intent.ts). */
  decide: DecideFn;
  config: AssistantConfig;
  clock: Clock;
  logger: Logger;
}

export interface Assistant {
  chat: ChatService;
  /** What the assistant does with workflows (tools and the session's start endpoint go through it). */
  workflows: AssistantWorkflows;
  events: ChatEvents;
  tools: ToolRegistry;
  narrator: Narrator;
  status(): AiStatusDto;
  /** Feed of the engine's committed transitions (narration). */
  onWorkflowEvent(event: WorkflowEvent): void;
  /** On start: replies a previous process left half-written are marked as interrupted. */
  recover(): Promise<void>;
  close(): Promise<void>;
}

/** The assistant: tools, provider, sessions, chat and narration, wired together. */
export function createAssistant(deps: AssistantDeps): Assistant {
  const logger = deps.logger.child({ component: 'assistant' });
  const store = new ChatStore(deps.db);
  const events = new ChatEvents();
  const tools = buildToolRegistry(deps.fleet, deps.workflows, deps.triggers, deps.records, (err, tool) =>
    logger.error({ err, tool }, 'assistant tool failed'),
  );
  const providers = buildProviders(deps.config, () => loadFleetSnapshot(deps.fleet, deps.workflows), logger);
  const narrator = new Narrator(store, events, deps.clock, logger);
  const chat = new ChatService({
    store,
    conversation: new Conversation(store, deps.workflows, logger),
    provider: providers.chat,
    tools,
    decide: deps.decide,
    events,
    clock: deps.clock,
    logger,
    onRunLinked: (sessionId, runId) => narrator.attach(sessionId, runId, () => deps.workflows.get(runId)),
    onRollbackProposed: (owner, sessionId, runId) => rollbacks.proposed(owner, sessionId, runId),
  });
  const rollbacks = new RollbackLinks((owner, sessionId, runId) =>
    chat
      .linkRun(owner, sessionId, runId)
      .catch((err) =>
        logger.error({ err, runId, sessionId }, 'could not link a rollback run to its conversation'),
      ),
  );
  return {
    chat,
    workflows: deps.workflows,
    events,
    tools,
    narrator,
    status: providers.status,
    onWorkflowEvent: (event) => {
      rollbacks.onEvent(event);
      narrator.onEvent(event);
    },
    async recover() {
      const n = await store.failInterrupted(deps.clock.now().toISOString());
      if (n > 0) logger.info({ replies: n }, 'marked interrupted chat replies');
    },
    close: () => chat.close(),
  };
}
