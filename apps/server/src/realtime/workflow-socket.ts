import {
  type ClientToServerEvents,
  type ServerToClientEvents,
  subscribeRunPayloadSchema,
  type WorkflowEvent,
  type WorkflowEventMessage,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { WorkflowEngine } from '../engine/engine';
import { FreshRead } from './fresh-read';
import { onRequest } from './socket-ack';

type WorkflowSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
export type WorkflowNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

const ALL_RUNS_ROOM = 'runs';
const runRoom = (runId: string) => `run:${runId}`;
const emptyPayloadSchema = z.strictObject({});

/**
 * Workflow subscriptions. A client joins a room first and reads the snapshot second, so every event after the
 * snapshot's seq reaches it; it drops buffered events with seq ≤ the snapshot's.
 */
export function registerWorkflowHandlers(
  nsp: WorkflowNamespace,
  engine: WorkflowEngine,
  logger: Logger,
): (event: WorkflowEvent) => void {
  const activeRuns = new FreshRead(async () => ({
    runs: await engine.list({ state: 'active', limit: 500 }),
  }));

  nsp.on('connection', (socket: WorkflowSocket) => {
    onRequest(socket, 'workflow:subscribe', logger, async (payload) => {
      const { runId } = subscribeRunPayloadSchema.parse(payload);
      await socket.join(runRoom(runId));
      try {
        return { run: await engine.get(runId) };
      } catch (err) {
        await socket.leave(runRoom(runId));
        throw err;
      }
    });
    onRequest(socket, 'workflow:unsubscribe', logger, async (payload) => {
      const { runId } = subscribeRunPayloadSchema.parse(payload);
      await socket.leave(runRoom(runId));
      return { ok: true as const };
    });
    onRequest(socket, 'workflows:subscribe', logger, async (payload) => {
      emptyPayloadSchema.parse(payload ?? {});
      await socket.join(ALL_RUNS_ROOM);
      return activeRuns.get();
    });
  });

  // Called by the engine after each commit: one emit reaches each socket once even if it is in both rooms.
  return (event) => {
    nsp.to(ALL_RUNS_ROOM).to(runRoom(event.runId)).emit('workflow:event', toMessage(event));
  };
}

/**
 * What a client receives for one transition: what changed when the engine says so, the whole run otherwise (a
 * run's first event, which has nothing earlier to change), never both, so a message stays the size of the change.
 */
export function toMessage(event: WorkflowEvent): WorkflowEventMessage {
  const { runId, seq, type, at, stepId } = event;
  if (event.patch !== undefined) return { runId, seq, type, at, stepId, patch: event.patch };
  return { runId, seq, type, at, stepId, run: event.run };
}
