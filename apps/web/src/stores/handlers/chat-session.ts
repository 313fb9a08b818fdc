import type { ChatSessionDto } from '@deploybot/shared';
import type { AppStore } from '../types';

/** `chat:session`: a session created, renamed or (un)archived. */
export function onChatSession(store: AppStore, session: ChatSessionDto): void {
  store.setState((s) => ({ sessions: { ...s.sessions, [session.id]: session } }));
}
