import type { ChatMessageDto } from '@deploybot/shared';
import { CopyButton } from '../lib/copy-button';
import { formatTime } from '../lib/format';
import { appStore } from '../stores/store';
import { selectRun } from '../workflows/workflow-actions';
import { Markdown } from './markdown';
import { QuickActions } from './quick-actions';
import { WorkflowCards } from './workflow-cards';

const ROLE_LABEL = { user: 'You', assistant: 'DeployBot', system: 'Workflow' } as const;

/** One message: who and when, its markdown, its state, copy, and the buttons and cards under it. */
export function MessageView({ message, latest }: { message: ChatMessageDto; latest: boolean }) {
  const mine = message.role === 'user';
  return (
    <article
      className={`group flex flex-col gap-1 ${mine ? 'items-end' : 'items-start'}`}
      aria-label={`${ROLE_LABEL[message.role]} at ${formatTime(message.createdAt)}`}
      data-testid="chat-message"
      data-role={message.role}
      data-status={message.status}
    >
      <header className="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
        <span className="font-medium">{ROLE_LABEL[message.role]}</span>
        <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
        {message.status === 'streaming' && <span className="motion-safe:animate-pulse">typing…</span>}
        {message.status === 'stopped' && <span>(stopped)</span>}
        {message.status === 'error' && <span className="text-red-700 dark:text-red-400">(failed)</span>}
        <CopyButton
          text={message.content}
          label="Copy message"
          className="opacity-70 group-hover:opacity-100"
        />
      </header>
      <div
        className={`max-w-[min(42rem,100%)] rounded-2xl px-4 py-2 text-sm break-words ${
          mine
            ? 'bg-blue-700 text-white'
            : message.role === 'system'
              ? 'border border-slate-200 bg-slate-50 dark:border-slate-700 dark:bg-slate-800/60'
              : 'bg-slate-100 dark:bg-slate-800'
        }`}
      >
        {mine ? (
          <p className="whitespace-pre-wrap">{message.content}</p>
        ) : (
          <Markdown text={message.content} />
        )}
        {message.runId && (
          <button
            type="button"
            className="mt-1 text-xs underline"
            onClick={() => {
              appStore.setState({ rightOpen: true });
              selectRun(message.runId);
            }}
          >
            Open run in the sidebar
          </button>
        )}
      </div>
      <WorkflowCards cards={message.workflowCards} />
      <QuickActions
        actions={message.quickActions}
        disabled={!latest && message.quickActions.some((a) => a.kind === 'send')}
      />
    </article>
  );
}
