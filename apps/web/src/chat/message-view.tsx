import type { ChatMessageDto } from '@deploybot/shared';
import { formatTime } from '../lib/format';
import { appStore } from '../stores/store';
import { proposalsOf } from '../triggers/proposals';
import { TriggerProposalCard } from '../triggers/trigger-proposal-card';
import { selectRun } from '../workflows/workflow-actions';
import { Markdown } from './markdown';
import { type MenuItem, MessageMenu } from './message-menu';
import { QuickActions } from './quick-actions';
import { WorkflowCards } from './workflow-cards';

const ROLE_LABEL = { user: 'You', assistant: 'DeployBot', system: 'Workflow' } as const;

const openRun = (runId: string) => {
  appStore.setState({ rightOpen: true });
  selectRun(runId);
};

function runItems(message: ChatMessageDto): MenuItem[] {
  const { runId } = message;
  return runId ? [{ label: 'Open run in the sidebar', run: () => openRun(runId) }] : [];
}

/**
 * A run's narration (one message per step, updated in place as the step moves): a compact status line under a
 * rule, not a bubble with a header, so a four-step run reads as four lines. Approve / Reject stay visible.
 */
function NarrationLine({ message, latest }: { message: ChatMessageDto; latest: boolean }) {
  const time = formatTime(message.createdAt);
  return (
    <article
      className="group flex flex-col"
      aria-label={`Run update at ${time}`}
      data-testid="chat-message"
      data-role={message.role}
      data-status={message.status}
      data-narration="true"
    >
      <div className="flex items-start gap-2 border-l-2 border-slate-300 pl-3 text-sm text-slate-800 dark:border-slate-600 dark:text-slate-200">
        <div className="min-w-0 flex-1 break-words">
          <Markdown text={message.content} />
        </div>
        {message.status === 'streaming' && (
          <span className="mt-1.5 size-2 shrink-0 rounded-full bg-blue-600 motion-safe:animate-pulse">
            <span className="sr-only">running</span>
          </span>
        )}
        <time
          dateTime={message.createdAt}
          className="mt-0.5 shrink-0 text-xs text-slate-500 dark:text-slate-400"
        >
          {time}
        </time>
        <MessageMenu
          text={message.content}
          extra={runItems(message)}
          label={`Actions for run update at ${time}`}
        />
      </div>
      <div className="pl-3.5">
        <QuickActions
          actions={message.quickActions}
          disabled={!latest && message.quickActions.some((a) => a.kind === 'send')}
        />
      </div>
    </article>
  );
}

/** One message: who and when, its markdown, its state, an actions menu, and the buttons and cards under it. */
export function MessageView({ message, latest }: { message: ChatMessageDto; latest: boolean }) {
  if (message.narration) return <NarrationLine message={message} latest={latest} />;
  const mine = message.role === 'user';
  const time = formatTime(message.createdAt);
  const runId = message.runId;
  return (
    <article
      className={`group flex flex-col gap-1 ${mine ? 'items-end' : 'items-start'}`}
      aria-label={`${ROLE_LABEL[message.role]} at ${time}`}
      data-testid="chat-message"
      data-role={message.role}
      data-status={message.status}
    >
      <header className="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
        <span className="font-medium">{ROLE_LABEL[message.role]}</span>
        <time dateTime={message.createdAt}>{time}</time>
        {message.status === 'streaming' && <span className="motion-safe:animate-pulse">typing…</span>}
        {message.status === 'stopped' && <span>(stopped)</span>}
        {message.status === 'error' && <span className="text-red-700 dark:text-red-400">(failed)</span>}
        <MessageMenu
          text={message.content}
          label={`Actions for ${ROLE_LABEL[message.role]}'s message at ${time}`}
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
        {/* A person's message is shown as typed, every line break kept; only replies are markdown. */}
        {mine ? (
          <p className="whitespace-pre-wrap">{message.content}</p>
        ) : (
          <Markdown text={message.content} />
        )}
        {runId && (
          <button type="button" className="mt-1 text-xs underline" onClick={() => openRun(runId)}>
            Open run in the sidebar
          </button>
        )}
      </div>
      <WorkflowCards cards={message.workflowCards} />
      {proposalsOf(message).map((p) => (
        <TriggerProposalCard key={p.trigger.name} proposal={p} proposedAt={message.createdAt} />
      ))}
      <QuickActions
        actions={message.quickActions}
        disabled={!latest && message.quickActions.some((a) => a.kind === 'send')}
      />
    </article>
  );
}
