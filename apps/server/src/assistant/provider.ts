import type { ProviderName, QuickAction, WorkflowRun } from '@deploybot/shared';

/** A `send` quick action: clicking it sends `message` as the person's own. */
export type SendAction = Extract<QuickAction, { kind: 'send' }>;

export type ProviderErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'timeout'
  | 'unavailable'
  | 'bad_response'
  | 'internal';

/** What a provider streams while it answers one message. */
export type ProviderEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown }
  | { type: 'tool_result'; id: string; name: string; result: unknown; error: string | null }
  /** Buttons that send a message (e.g. the candidates of a clarifying question). */
  | { type: 'suggestions'; actions: SendAction[] }
  /** State the provider wants back on the next turn (stored with the reply, never shown). */
  | { type: 'meta'; meta: Record<string, unknown> }
  | { type: 'done' }
  | { type: 'error'; kind: ProviderErrorKind; message: string };

/** One earlier message of the conversation, as a provider sees it. */
export interface HistoryMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
  /** The run a narration message is about. */
  runId: string | null;
  meta: Record<string, unknown> | null;
}

/** A workflow run started from this conversation, compacted for the model. */
export interface ConversationRun {
  id: string;
  name: string;
  title: string;
  status: WorkflowRun['status'];
  progress: number;
  currentStep: string | null;
  /** The step waiting for a person, if any. */
  waiting: {
    stepId: string;
    title: string;
    kind: 'approval' | 'input';
    summary: string | null;
    input: { key: string; label: string; type: string; choices?: string[] } | null;
  } | null;
  /** Every step waiting for approval at once (parallel branches); `waiting` is the first of them. */
  gates?: { stepId: string; title: string; summary: string | null }[];
  error: string | null;
  createdAt: string;
}

/** The JSON schema of one tool, as shown to a model. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ToolOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** Runs registry tools on behalf of the person in this conversation. */
export interface ToolRunner {
  specs: ToolSpec[];
  run(name: string, args: unknown): Promise<ToolOutcome>;
}

export interface ProviderRequest {
  sessionId: string;
  /** The person talking. */
  actor: string;
  /** Their new message. */
  message: string;
  /** The conversation before it: at most the last 20 messages, oldest first. */
  history: HistoryMessage[];
  /** Workflow runs started from this conversation, newest first. */
  runs: ConversationRun[];
  tools: ToolRunner;
  signal: AbortSignal;
}

/** A source of answers: the embedded `local` assistant or a model behind the OpenAI API. */
export interface ChatProvider {
  readonly name: ProviderName;
  readonly model: string | null;
  stream(req: ProviderRequest): AsyncIterable<ProviderEvent>;
}
