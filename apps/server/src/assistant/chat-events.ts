import { EventEmitter } from 'node:events';
import type { ChatMessageDto, ChatSessionDto } from '@deploybot/shared';

interface ChatEventMap {
  /** A piece of an assistant reply being streamed. */
  delta: [{ sessionId: string; messageId: string; delta: string }];
  /** A message created or changed (user, reply, narration), in its state so far. */
  message: [ChatMessageDto];
  /** A session created, renamed, archived or unarchived; `owner` says whose sockets to tell. */
  session: [{ session: ChatSessionDto; owner: string }];
}

/** In-process fan-out of chat changes after they are stored: the socket layer forwards them to rooms. */
export class ChatEvents extends EventEmitter<ChatEventMap> {
  constructor() {
    super();
    this.setMaxListeners(0);
  }
}
