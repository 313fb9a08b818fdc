import { z } from 'zod';
import type { Ack } from './errors';

/** The assistant's chat contract: persisted sessions, messages with quick actions, streaming over Socket.IO. */

export const PROVIDERS = ['local', 'openai'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface AiStatusDto {
  /** The provider answering now. */
  provider: ProviderName;
  model: string | null;
  /** Provider used when the configured one fails (`local`), or null. */
  fallback: ProviderName | null;
  /** False when the configured provider cannot be used (e.g. no API key); `reason` says why. */
  ready: boolean;
  reason: string | null;
}

export interface ChatSessionDto {
  id: string;
  title: string;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A button under a message. `send` posts `message` as the person's own; approve/reject decide one waiting step. */
export type QuickAction =
  | { kind: 'send'; label: string; message: string }
  | { kind: 'approve' | 'reject'; label: string; runId: string; stepId: string }
  | { kind: 'start_workflow'; label: string; workflow: string; context: Record<string, unknown> }
  | { kind: 'open_run'; label: string; runId: string }
  /** Starts the rollback of a completed or failed run (POST …/{runId}/rollback); the rollback's gate still asks. */
  | { kind: 'start_rollback'; label: string; runId: string };

export interface WorkflowCard {
  name: string;
  title: string;
  description: string;
  steps: number;
  /** Shipped with DeployBot (true) or saved by an operator (false); absent on older messages. */
  builtIn?: boolean;
}

export const MESSAGE_ROLES = ['user', 'assistant', 'system'] as const;
export const MESSAGE_STATUSES = ['streaming', 'complete', 'stopped', 'error'] as const;

export interface ToolCallDto {
  id: string;
  name: string;
  arguments: unknown;
  result: unknown;
  error: string | null;
}

export interface ChatMessageDto {
  id: string;
  sessionId: string;
  role: (typeof MESSAGE_ROLES)[number];
  /** Markdown. */
  content: string;
  status: (typeof MESSAGE_STATUSES)[number];
  createdAt: string;
  quickActions: QuickAction[];
  workflowCards: WorkflowCard[];
  toolCalls: ToolCallDto[];
  /** The workflow run this message is about, if any (narration, a started run). */
  runId: string | null;
  /** Present (true) on a run's narration: one message per step, updated in place; the UI shows it as a status line. */
  narration?: true;
}

export const chatSessionIdSchema = z.uuid({ message: 'session id must be a UUID' });
export const createSessionBodySchema = z.strictObject({ title: z.string().min(1).max(200).optional() });
export const updateSessionBodySchema = z.strictObject({
  title: z.string().min(1).max(200).optional(),
  archived: z.boolean().optional(),
});
export const listSessionsQuerySchema = z.object({
  archived: z.enum(['true', 'false', 'all']).default('false'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const chatBodySchema = z.strictObject({
  message: z.string().min(1).max(8000),
  session_id: chatSessionIdSchema.optional(),
});

export const chatSendPayloadSchema = z.strictObject({
  sessionId: chatSessionIdSchema,
  message: z.string().min(1).max(8000),
});
export const chatSessionPayloadSchema = z.strictObject({ sessionId: chatSessionIdSchema });
export const chatStopPayloadSchema = z.strictObject({ sessionId: chatSessionIdSchema, messageId: z.uuid() });

export interface ChatServerToClientEvents {
  /** A piece of an assistant message being streamed. */
  'chat:delta': (payload: { sessionId: string; messageId: string; delta: string }) => void;
  /** A message created or finished (user, assistant, or workflow narration), in its final state so far. */
  'chat:message': (message: ChatMessageDto) => void;
  'chat:session': (session: ChatSessionDto) => void;
}

export interface ChatClientToServerEvents {
  /** Join a session: the ack carries it and its history; its messages and deltas follow. */
  'chat:subscribe': (
    payload: { sessionId: string },
    ack: (res: Ack<{ session: ChatSessionDto; messages: ChatMessageDto[] }>) => void,
  ) => void;
  'chat:unsubscribe': (payload: { sessionId: string }, ack: (res: Ack<{ ok: true }>) => void) => void;
  /** Send a message: the ack carries the stored user message and the id of the assistant reply to stream. */
  'chat:send': (
    payload: { sessionId: string; message: string },
    ack: (res: Ack<{ userMessage: ChatMessageDto; replyId: string }>) => void,
  ) => void;
  /** Stop generating a reply; the server really stops it and marks it `stopped`. */
  'chat:stop': (
    payload: { sessionId: string; messageId: string },
    ack: (res: Ack<{ ok: true }>) => void,
  ) => void;
}

// ---- Additions (assistant server): REST answers and convenience bodies ----

/** `POST /v1/ai/sessions/{id}/rename`. */
export const renameSessionBodySchema = z.strictObject({ title: z.string().min(1).max(200) });
/** `GET /v1/ai/sessions/{id}/history?limit=`: the latest `limit` messages, oldest first. */
export const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** Answer of `POST /v1/ai/chat`: the session (created when no `session_id` was sent), the stored message and the finished reply. */
export interface ChatReplyDto {
  session: ChatSessionDto;
  userMessage: ChatMessageDto;
  reply: ChatMessageDto;
}
