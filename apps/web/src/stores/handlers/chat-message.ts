import type { ChatMessageDto } from '@deploybot/shared';
import type { AppStore } from '../types';

/** Inserts or replaces a message by id, keeping the list in creation order. */
export function upsertMessage(list: ChatMessageDto[], message: ChatMessageDto): ChatMessageDto[] {
  const i = list.findIndex((m) => m.id === message.id);
  if (i >= 0) return list.map((m, j) => (j === i ? message : m));
  return [...list, message].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** `chat:message`: a message created or finished; a finished reply ends the streaming state (stop included). */
export function onChatMessage(store: AppStore, message: ChatMessageDto): void {
  store.setState((s) => {
    const streaming = s.streamingReply[message.sessionId];
    const done = message.status !== 'streaming' && streaming === message.id;
    return {
      messages: {
        ...s.messages,
        [message.sessionId]: upsertMessage(s.messages[message.sessionId] ?? [], message),
      },
      streamingReply: done ? { ...s.streamingReply, [message.sessionId]: undefined } : s.streamingReply,
    };
  });
}
