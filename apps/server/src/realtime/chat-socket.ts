import {
  chatSendPayloadSchema,
  chatSessionPayloadSchema,
  chatStopPayloadSchema,
  roleAtLeast,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Assistant } from '../assistant/assistant';
import { AuthError } from '../auth/auth.service';
import { onRequest } from './socket-ack';
import { socketActor, socketRole } from './socket-actor';
import type { WorkflowNamespace } from './workflow-socket';

const sessionRoom = (sessionId: string) => `chat:${sessionId}`;
const ownerRoom = (owner: string) => `chat-owner:${owner}`;
/**
 * Chat over Socket.IO. A socket joins a session's room only after the session is found to be its user's; it
 * then gets that session's deltas and messages. Session changes go to every socket of the owner.
 */
export function registerChatHandlers(nsp: WorkflowNamespace, assistant: Assistant, logger: Logger): void {
  const { chat, events } = assistant;

  nsp.on('connection', (socket) => {
    const actor = () => socketActor(socket);
    void socket.join(ownerRoom(actor()));

    // The chat needs the operator role, like /v1/ai/sessions and /v1/ai/chat.
    const on = (event: string, work: (payload: unknown) => Promise<unknown>) =>
      onRequest(socket, event, logger, async (payload) => {
        const role = socketRole(socket);
        if (!roleAtLeast(role, 'operator'))
          throw new AuthError('forbidden', `the chat needs the operator role; you are ${role}`);
        return work(payload);
      });

    on('chat:subscribe', async (payload) => {
      const { sessionId } = chatSessionPayloadSchema.parse(payload);
      const session = await chat.getSession(actor(), sessionId);
      // Join first, then read: a message stored in between reaches the socket one way or the other.
      await socket.join(sessionRoom(sessionId));
      return { session, messages: await chat.history(actor(), sessionId) };
    });
    on('chat:unsubscribe', async (payload) => {
      const { sessionId } = chatSessionPayloadSchema.parse(payload);
      await socket.leave(sessionRoom(sessionId));
      return { ok: true as const };
    });
    on('chat:send', async (payload) => {
      const { sessionId, message } = chatSendPayloadSchema.parse(payload);
      await chat.getSession(actor(), sessionId);
      await socket.join(sessionRoom(sessionId));
      const { userMessage, replyId } = await chat.send(actor(), sessionId, message);
      return { userMessage, replyId };
    });
    on('chat:stop', async (payload) => {
      const { sessionId, messageId } = chatStopPayloadSchema.parse(payload);
      await chat.stop(actor(), sessionId, messageId);
      return { ok: true as const };
    });
  });

  events.on('delta', (d) => nsp.to(sessionRoom(d.sessionId)).emit('chat:delta', d));
  events.on('message', (m) => nsp.to(sessionRoom(m.sessionId)).emit('chat:message', m));
  events.on('session', ({ session, owner }) =>
    nsp.to(ownerRoom(owner)).to(sessionRoom(session.id)).emit('chat:session', session),
  );
}
