import type { AiStatusDto, ChatMessageDto, ChatSessionDto } from '@deploybot/shared';
import type { SliceCreator } from './types';

export interface ChatSlice {
  /** `unconfigured`: the server has no assistant (404 on /v1/ai/status). */
  aiStatus: { state: 'loading' } | { state: 'unconfigured' } | { state: 'ready'; status: AiStatusDto };
  sessions: Record<string, ChatSessionDto>;
  showArchived: boolean;
  activeSessionId: string | null;
  messages: Record<string, ChatMessageDto[] | undefined>;
  /** Per session: the assistant reply being streamed, until its final `chat:message`. */
  streamingReply: Record<string, string | undefined>;
  chatError: string | null;
}

export const createChatSlice: SliceCreator<ChatSlice> = () => ({
  aiStatus: { state: 'loading' },
  sessions: {},
  showArchived: false,
  activeSessionId: null,
  messages: {},
  streamingReply: {},
  chatError: null,
});
