import type { ChatMessageDto } from '@deploybot/shared';
import type { AppStore } from '../types';

/** `chat:delta`: a piece of a streaming assistant reply; the first piece creates the message. */
export function onChatDelta(
  store: AppStore,
  p: { sessionId: string; messageId: string; delta: string },
): void {
  store.setState((s) => {
    const list = s.messages[p.sessionId] ?? [];
    const i = list.findIndex((m) => m.id === p.messageId);
    const found = i >= 0 ? list[i] : undefined;
    if (found && found.status !== 'streaming') return {}; // a late piece after the final message
    const next: ChatMessageDto = found
      ? { ...found, content: found.content + p.delta }
      : {
          id: p.messageId,
          sessionId: p.sessionId,
          role: 'assistant',
          content: p.delta,
          status: 'streaming',
          createdAt: new Date().toISOString(),
          quickActions: [],
          workflowCards: [],
          toolCalls: [],
          runId: null,
        };
    const messages = found ? list.map((m, j) => (j === i ? next : m)) : [...list, next];
    return {
      messages: { ...s.messages, [p.sessionId]: messages },
      streamingReply: { ...s.streamingReply, [p.sessionId]: p.messageId },
    };
  });
}
