import type { ChatMessageDto, ChatSessionDto } from '@deploybot/shared';
import type { AppStore } from '../types';
import { upsertMessage } from './chat-message';

/** Ack of `chat:subscribe`: the session's history; messages that streamed in meanwhile are kept. */
export function onChatSnapshot(
  store: AppStore,
  snapshot: { session: ChatSessionDto; messages: ChatMessageDto[] },
): void {
  store.setState((s) => {
    const id = snapshot.session.id;
    let list = snapshot.messages;
    for (const m of s.messages[id] ?? []) if (!list.some((x) => x.id === m.id)) list = upsertMessage(list, m);
    const streaming = list.find((m) => m.role === 'assistant' && m.status === 'streaming');
    return {
      sessions: { ...s.sessions, [id]: snapshot.session },
      messages: { ...s.messages, [id]: list },
      streamingReply: { ...s.streamingReply, [id]: streaming?.id },
    };
  });
}
