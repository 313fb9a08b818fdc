import { randomUUID } from 'node:crypto';
import type {
  ChatMessageDto,
  ChatReplyDto,
  ChatSessionDto,
  QuickAction,
  ToolCallDto,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Clock } from '../engine/ports';
import { recognizeDecision } from './approval-intent';
import { applyChatDecision } from './chat-decision';
import type { ChatEvents } from './chat-events';
import type { Conversation } from './conversation';
import { AssistantError } from './errors';
import type { ChatProvider, ToolRunner } from './provider';
import type { ChatStore, StoredMessage } from './session-store';
import { toDto } from './session-store';
import { newEffects, type ToolContext, type ToolRegistry } from './tools/registry';
import type { DecideFn } from './workflows-port';

export const DEFAULT_TITLE = 'New conversation';

export interface ChatServiceDeps {
  store: ChatStore;
  conversation: Conversation;
  provider: ChatProvider;
  tools: ToolRegistry;
  decide: DecideFn;
  events: ChatEvents;
  clock: Clock;
  logger: Logger;
  /** Called when a run is started from a conversation, so its steps get narrated there. */
  onRunLinked: (sessionId: string, runId: string) => Promise<void>;
  /** A reply proposed rolling back `runId` (its "Start rollback" button): see the assistant's rollback links. */
  onRollbackProposed?: (owner: string, sessionId: string, runId: string) => void;
}

interface InFlight {
  messageId: string;
  controller: AbortController;
  done: Promise<ChatMessageDto>;
}

/**
 * Conversations: sessions owned by one user, messages stored before they are announced, one reply streamed at a
 * time per session (stoppable), and decisions typed by a person applied by the server itself.
 */
export class ChatService {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly deps: ChatServiceDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  // ---------------------------------------------------------------- sessions

  async createSession(owner: string, title?: string): Promise<ChatSessionDto> {
    const session = await this.deps.store.createSession({
      id: randomUUID(),
      owner,
      title: title?.trim() || DEFAULT_TITLE,
      at: this.now(),
    });
    this.deps.events.emit('session', { session, owner });
    return session;
  }

  listSessions(owner: string, q: { archived: 'true' | 'false' | 'all'; limit: number }) {
    return this.deps.store.listSessions(owner, q);
  }

  getSession(owner: string, id: string): Promise<ChatSessionDto> {
    return this.deps.store.session(owner, id);
  }

  async history(owner: string, id: string, limit = 200): Promise<ChatMessageDto[]> {
    await this.deps.store.session(owner, id);
    return (await this.deps.store.messages(id, limit)).map(toDto);
  }

  async updateSession(owner: string, id: string, patch: { title?: string; archived?: boolean }) {
    const session = await this.deps.store.updateSession(owner, id, patch, this.now());
    this.deps.events.emit('session', { session, owner });
    return session;
  }

  async deleteSession(owner: string, id: string): Promise<void> {
    await this.deps.store.session(owner, id);
    this.inFlight.get(id)?.controller.abort();
    await this.deps.store.deleteSession(owner, id);
  }

  // ---------------------------------------------------------------- messages

  /**
   * Stores the person's message and starts the reply. Resolves once both are stored; `done` resolves with the
   * finished reply (complete, stopped or error).
   */
  async send(
    owner: string,
    sessionId: string,
    text: string,
  ): Promise<{ userMessage: ChatMessageDto; replyId: string; done: Promise<ChatMessageDto> }> {
    const session = await this.deps.store.session(owner, sessionId);
    if (this.inFlight.has(sessionId)) {
      throw new AssistantError('conflict', 'a reply is still being written in this session; stop it or wait');
    }
    const controller = new AbortController();
    // Reserve the session before the first await below, so two sends cannot both pass the check.
    const slot: InFlight = { messageId: '', controller, done: Promise.resolve(null as never) };
    this.inFlight.set(sessionId, slot);
    try {
      const userMessage = await this.insert({ sessionId, role: 'user', content: text, status: 'complete' });
      if (session.title === DEFAULT_TITLE) {
        const title = text.replace(/\s+/g, ' ').trim().slice(0, 60) + (text.length > 60 ? '…' : '');
        const renamed = await this.deps.store.updateSession(owner, sessionId, { title }, this.now());
        this.deps.events.emit('session', { session: renamed, owner });
      }
      const reply = await this.insert({ sessionId, role: 'assistant', content: '', status: 'streaming' });
      slot.messageId = reply.id;
      // Start after the caller has answered (the socket ack goes out before the first delta).
      slot.done = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.reply(owner, sessionId, text, userMessage, reply, controller.signal))
        .finally(() => {
          if (this.inFlight.get(sessionId) === slot) this.inFlight.delete(sessionId);
        });
      return { userMessage: toDto(userMessage), replyId: reply.id, done: slot.done };
    } catch (err) {
      this.inFlight.delete(sessionId);
      throw err;
    }
  }

  /** For clients without sockets: one request, the finished reply in the answer. */
  async chat(owner: string, body: { message: string; session_id?: string }): Promise<ChatReplyDto> {
    const session = body.session_id
      ? await this.deps.store.session(owner, body.session_id)
      : await this.createSession(owner);
    const { userMessage, done } = await this.send(owner, session.id, body.message);
    const reply = await done;
    return { session: await this.deps.store.session(owner, session.id), userMessage, reply };
  }

  /** Stops the reply being written; it keeps what it had and is marked `stopped`. */
  async stop(owner: string, sessionId: string, messageId: string): Promise<void> {
    await this.deps.store.session(owner, sessionId);
    const current = this.inFlight.get(sessionId);
    if (!current || current.messageId !== messageId) {
      throw new AssistantError('conflict', `message ${messageId} is not being written`);
    }
    current.controller.abort(new Error('stopped by the person'));
    await current.done;
  }

  /** Aborts every reply being written (shutdown). */
  async close(): Promise<void> {
    const all = [...this.inFlight.values()];
    for (const f of all) f.controller.abort(new Error('controller shutting down'));
    await Promise.allSettled(all.map((f) => f.done));
  }

  /** A run started for the session outside the chat (the `start_workflow` quick action). */
  async linkRun(owner: string, sessionId: string, runId: string): Promise<void> {
    await this.deps.store.session(owner, sessionId);
    await this.deps.store.linkRun(sessionId, runId, this.now());
    await this.deps.onRunLinked(sessionId, runId);
  }

  // ---------------------------------------------------------------- the reply

  private async reply(
    owner: string,
    sessionId: string,
    text: string,
    userMessage: StoredMessage,
    reply: StoredMessage,
    signal: AbortSignal,
  ): Promise<ChatMessageDto> {
    let content = '';
    let status: ChatMessageDto['status'] = 'complete';
    let meta: Record<string, unknown> | null = null;
    const toolCalls: ToolCallDto[] = [];
    const suggestions: QuickAction[] = [];
    const effects = newEffects();
    const runs = await this.deps.conversation.runs(sessionId).catch(() => []);
    try {
      // A decision the person typed is read by the server, never by a provider.
      const decision = recognizeDecision(text);
      if (decision) {
        const answer = await applyChatDecision(decision, runs, owner, this.deps.decide);
        content = answer.content;
        effects.quickActions.push(...answer.quickActions);
        effects.runId = answer.runId;
      } else {
        const history = await this.deps.conversation.history(sessionId, [userMessage.id, reply.id]);
        const tools = this.toolRunner(owner, sessionId, signal, effects);
        for await (const event of this.deps.provider.stream({
          sessionId,
          actor: owner,
          message: text,
          history,
          runs,
          tools,
          signal,
        })) {
          if (signal.aborted) break;
          switch (event.type) {
            case 'text':
              content += event.delta;
              this.deps.events.emit('delta', { sessionId, messageId: reply.id, delta: event.delta });
              break;
            case 'tool_call':
              toolCalls.push({
                id: event.id,
                name: event.name,
                arguments: event.arguments,
                result: null,
                error: null,
              });
              break;
            case 'tool_result': {
              const call = toolCalls.find((c) => c.id === event.id);
              if (call) Object.assign(call, { result: event.result, error: event.error });
              break;
            }
            case 'suggestions':
              suggestions.push(...event.actions);
              break;
            case 'meta':
              meta = event.meta;
              break;
            case 'error': {
              status = 'error';
              const note = `⚠ ${event.message}`;
              content += content ? `\n\n${note}` : note;
              this.deps.events.emit('delta', {
                sessionId,
                messageId: reply.id,
                delta: content === note ? note : `\n\n${note}`,
              });
              break;
            }
            case 'done':
              break;
          }
        }
      }
      if (signal.aborted) status = 'stopped';
    } catch (err) {
      if (signal.aborted) status = 'stopped';
      else {
        this.deps.logger.error({ err, sessionId }, 'chat reply failed');
        status = 'error';
        content += `${content ? '\n\n' : ''}⚠ The assistant hit an internal error.`;
      }
    }
    const final = await this.deps.store.updateMessage(
      reply.id,
      {
        content,
        status,
        toolCalls,
        quickActions: [...effects.quickActions, ...suggestions],
        workflowCards: effects.workflowCards,
        runId: effects.runId,
        meta: meta ?? undefined,
      },
      this.now(),
    );
    await this.deps.store.touchSession(sessionId, this.now());
    // The session was deleted meanwhile: nothing to announce.
    if (!final) return toDto({ ...reply, content, status });
    const dto = toDto(final);
    this.deps.events.emit('message', dto);
    return dto;
  }

  private toolRunner(
    actor: string,
    sessionId: string,
    signal: AbortSignal,
    effects: ReturnType<typeof newEffects>,
  ): ToolRunner {
    const ctx: ToolContext = {
      actor,
      sessionId,
      signal,
      effects,
      linkRun: async (runId) => {
        await this.deps.store.linkRun(sessionId, runId, this.now());
        await this.deps.onRunLinked(sessionId, runId);
      },
      conversationRunIds: () => this.deps.store.runIds(sessionId, 10),
      rollbackProposed: (runId) => this.deps.onRollbackProposed?.(actor, sessionId, runId),
    };
    return {
      specs: this.deps.tools.specs(),
      run: (name, args) => this.deps.tools.invoke(name, args, ctx),
    };
  }

  private async insert(m: {
    sessionId: string;
    role: ChatMessageDto['role'];
    content: string;
    status: ChatMessageDto['status'];
  }): Promise<StoredMessage> {
    const stored = await this.deps.store.insertMessage({
      id: randomUUID(),
      ...m,
      createdAt: this.now(),
      quickActions: [],
      workflowCards: [],
      toolCalls: [],
      runId: null,
      meta: null,
    });
    this.deps.events.emit('message', toDto(stored));
    return stored;
  }
}
