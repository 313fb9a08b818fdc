import { useState } from 'react';
import { useCan } from '../auth/can';
import { useAppStore } from '../stores/store';
import { Composer } from './composer';
import { MessageView } from './message-view';
import { useStickToBottom } from './use-stick-to-bottom';
import { WorkflowCards } from './workflow-cards';

const EMPTY: never[] = [];

function ProviderBadge() {
  const ai = useAppStore((s) => s.aiStatus);
  if (ai.state === 'loading') return null;
  if (ai.state === 'unconfigured')
    return (
      <span className="text-xs text-slate-600 dark:text-slate-400" data-testid="ai-provider">
        Assistant: not configured
      </span>
    );
  const { provider, model, ready } = ai.status;
  return (
    <span className="text-xs text-slate-600 dark:text-slate-400" data-testid="ai-provider">
      Assistant: {provider}
      {model ? ` (${model})` : ''}
      {!ready && ' — unavailable'}
    </span>
  );
}

/** The middle pane: the conversation, streaming replies, workflow cards and the composer. */
export function ChatPane() {
  const sessionId = useAppStore((s) => s.activeSessionId);
  const title = useAppStore((s) => (s.activeSessionId ? s.sessions[s.activeSessionId]?.title : undefined));
  const messages = useAppStore((s) => (s.activeSessionId ? (s.messages[s.activeSessionId] ?? EMPTY) : EMPTY));
  const streaming = useAppStore((s) =>
    s.activeSessionId ? s.streamingReply[s.activeSessionId] !== undefined : false,
  );
  const ai = useAppStore((s) => s.aiStatus);
  const error = useAppStore((s) => s.chatError);
  const definitions = useAppStore((s) => s.definitions);
  const canChat = useCan('operator');
  const [showCards, setShowCards] = useState(false);
  const last = messages.at(-1);
  const { ref, atBottom, scrollToBottom } = useStickToBottom<HTMLDivElement>(
    `${messages.length}:${last?.content.length ?? 0}:${showCards}`,
  );

  const unconfigured = ai.state === 'unconfigured';
  const notReady = ai.state === 'ready' && !ai.status.ready;
  const reason = unconfigured
    ? 'The assistant is not configured on this server'
    : notReady
      ? (ai.status.reason ?? 'The assistant is unavailable')
      : !canChat
        ? 'Chatting needs the operator role'
        : null;
  const cards = definitions.map((d) => ({
    name: d.name,
    title: d.title,
    description: d.description,
    steps: d.steps.length,
    builtIn: d.builtIn ?? false,
  }));

  return (
    <div className="flex h-full min-h-0 flex-col" data-testid="chat-pane">
      <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-4 py-2 dark:border-slate-700">
        <h2 className="truncate font-semibold">
          {title ?? (sessionId ? 'Conversation' : 'New conversation')}
        </h2>
        <ProviderBadge />
      </div>
      {reason && (
        <p
          role="status"
          className="m-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950/50 dark:text-amber-200"
          data-testid="assistant-notice"
        >
          {reason}. {unconfigured && 'You can still start and follow workflows from the sidebar.'}
        </p>
      )}
      <div className="relative min-h-0 flex-1">
        <div ref={ref} className="h-full overflow-y-auto px-4 py-3" data-testid="message-list">
          <div className="mx-auto flex max-w-3xl flex-col gap-4">
            {messages.length === 0 && (
              <p className="text-sm text-slate-600 dark:text-slate-400">
                Ask for a deployment, a health check or help with a failure — or pick a workflow.
              </p>
            )}
            {messages.map((m) => (
              <MessageView key={m.id} message={m} latest={m === last} />
            ))}
            <div>
              <button
                type="button"
                className="btn-secondary text-xs"
                aria-expanded={showCards}
                onClick={() => setShowCards((v) => !v)}
                data-testid="show-workflows"
              >
                {showCards ? 'Hide workflows' : 'Show workflows'}
              </button>
              {showCards && <WorkflowCards cards={cards} />}
            </div>
          </div>
        </div>
        {!atBottom && (
          <button
            type="button"
            className="btn btn-primary absolute bottom-3 left-1/2 -translate-x-1/2 text-xs shadow"
            onClick={scrollToBottom}
            data-testid="jump-to-latest"
          >
            ↓ Jump to latest
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="mx-3 text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <Composer disabled={reason !== null || ai.state === 'loading'} streaming={streaming} reason={reason} />
    </div>
  );
}
