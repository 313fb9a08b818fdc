import type { ChatMessageDto } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { createAppStore } from '../store';
import { onChatDelta } from './chat-delta';
import { onChatMessage } from './chat-message';

const S = 'sess';
const final = (content: string, status: ChatMessageDto['status']): ChatMessageDto => ({
  id: 'm1',
  sessionId: S,
  role: 'assistant',
  content,
  status,
  createdAt: '2026-01-01T00:00:00Z',
  quickActions: [],
  workflowCards: [],
  toolCalls: [],
  runId: null,
});

describe('chat streaming', () => {
  it('creates the reply on its first delta, appends the rest, and ends streaming on the final message', () => {
    const store = createAppStore();
    onChatDelta(store, { sessionId: S, messageId: 'm1', delta: 'Hel' });
    onChatDelta(store, { sessionId: S, messageId: 'm1', delta: 'lo' });
    expect(store.getState().messages[S]?.[0]?.content).toBe('Hello');
    expect(store.getState().streamingReply[S]).toBe('m1');

    onChatMessage(store, final('Hello', 'stopped'));
    expect(store.getState().messages[S]?.[0]?.status).toBe('stopped');
    expect(store.getState().streamingReply[S]).toBeUndefined();

    onChatDelta(store, { sessionId: S, messageId: 'm1', delta: ' late' });
    expect(store.getState().messages[S]?.[0]?.content).toBe('Hello');
  });
});
