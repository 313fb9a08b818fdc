import {
  type Ack,
  chatSendPayloadSchema,
  chatSessionPayloadSchema,
  chatStopPayloadSchema,
  roleAtLeast,
} from '@deploybot/shared';
import type { Assistant } from '../assistant/assistant';
import { AssistantError } from '../assistant/errors';
import { withSafeText } from '../assistant/safe-text';
import { answer } from './socket-ack';
import { socketActor, socketRole } from './socket-actor';
import type { WorkflowNamespace } from './workflow-socket';

const sessionRoom = (sessionId: string) => `chat:${sessionId}`;
const ownerRoom = (owner: string) => `chat-owner:${owner}`;
const safeSend = withSafeText(chatSendPayloadSchema, ['message']);

/** The chat needs the operator role, like /v1/ai/sessions and /v1/ai/chat. */
class Forbidden extends Error {}

/** `answer` with the assistant's own refusals (unknown session, reply in progress, role) in the one error shape. */
async function answerChat<T>(ack: unknown, work: () => Promise<T>): Promise<void> {
  const reply = typeof ack === 'function' ? (ack as (res: Ack<T>) => void) : () => {};
  let refused: { code: 'forbidden' | AssistantError['code']; message: string } | null = null;
  await answer<T>(
    (res: Ack<T>) => reply(refused ? { error: refused } : res),
    async () => {
      try {
        return await work();
      } catch (err) {
        if (err instanceof AssistantError) refused = { code: err.code, message: err.message };
        if (err instanceof Forbidden) refused = { code: 'forbidden', message: err.message };
        throw err;
      }
    },
  );
}

/**
 * Chat over Socket.IO. A socket joins a session's room only after the session is found to be its user's; it
 * then gets that session's deltas and messages. Session changes go to every socket of the owner.
 */
export function registerChatHandlers(nsp: WorkflowNamespace, assistant: Assistant): void {
  const { chat, events } = assistant;

  nsp.on('connection', (socket) => {
    const actor = () => socketActor(socket);
    void socket.join(ownerRoom(actor()));

    /** A client that sends only an ack callback still gets an answer: the callback is the last argument. */
    const on = (event: string, work: (payload: unknown) => Promise<unknown>) =>
      socket.on(event as 'chat:send', (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? args.at(-1) : undefined;
        const payload = args.length > (ack ? 1 : 0) ? args[0] : undefined;
        void answerChat(ack, async () => {
          const role = socketRole(socket);
          if (!roleAtLeast(role, 'operator'))
            throw new Forbidden(`the chat needs the operator role; you are ${role}`);
          return work(payload);
        });
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
      const { sessionId, message } = safeSend.parse(payload);
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
