import type { Logger } from 'pino';
import { EngineError } from '../engine/errors';
import type { ConversationRun, HistoryMessage } from './provider';
import type { ChatStore, StoredMessage } from './session-store';
import { conversationRun } from './tools/compact';
import type { AssistantWorkflows } from './workflows-port';

/** How many messages of the session a provider sees, the new one included. */
export const HISTORY_LIMIT = 20;
/** How many of the session's runs a provider sees. */
export const RUNS_LIMIT = 10;

/** The model's view of a conversation: its recent messages and the state of the workflows started from it. */
export class Conversation {
  constructor(
    private readonly store: ChatStore,
    private readonly workflows: AssistantWorkflows,
    private readonly logger: Logger,
  ) {}

  /** The messages before `beforeId` (the new user message), at most HISTORY_LIMIT - 1 of them, oldest first. */
  async history(sessionId: string, excludeIds: string[]): Promise<HistoryMessage[]> {
    const recent = await this.store.messages(sessionId, HISTORY_LIMIT + excludeIds.length + 1);
    return recent
      .filter((m) => !excludeIds.includes(m.id) && m.content.trim() !== '')
      .slice(-(HISTORY_LIMIT - 1))
      .map((m: StoredMessage) => ({ role: m.role, content: m.content, runId: m.runId, meta: m.meta }));
  }

  /** Runs started from the session, newest first, compacted; a run that no longer exists is left out. */
  async runs(sessionId: string): Promise<ConversationRun[]> {
    const ids = await this.store.runIds(sessionId, RUNS_LIMIT);
    const runs = await Promise.all(
      ids.map((id) =>
        this.workflows.get(id).then(conversationRun, (err) => {
          if (!(err instanceof EngineError))
            this.logger.warn({ err, runId: id }, 'could not read a chat run');
          return null;
        }),
      ),
    );
    return runs.filter((r): r is ConversationRun => r !== null);
  }
}
