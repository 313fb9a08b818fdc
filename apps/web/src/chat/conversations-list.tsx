import { useEffect, useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useCan } from '../auth/can';
import { appStore, useAppStore } from '../stores/store';
import { loadSessions, newChat } from './chat-actions';
import { ConversationItem } from './conversation-item';

/** The left pane: conversations, newest first, with 'New chat' and 'Show archived'. */
export function ConversationsList() {
  const archivedId = useId();
  const ready = useAppStore((s) => s.aiStatus.state === 'ready');
  const showArchived = useAppStore((s) => s.showArchived);
  const active = useAppStore((s) => s.activeSessionId);
  const sessions = useAppStore(
    useShallow((s) =>
      Object.values(s.sessions)
        .filter((c) => showArchived || !c.archived)
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)),
    ),
  );
  const canChat = useCan('operator');

  useEffect(() => {
    if (ready) loadSessions(showArchived).catch(() => {});
  }, [ready, showArchived]);

  return (
    <nav aria-label="Conversations" className="flex h-full flex-col gap-2 p-3" data-testid="conversations">
      <button
        type="button"
        className="btn btn-primary"
        disabled={!ready || !canChat}
        onClick={() => void newChat()}
        data-testid="new-chat"
      >
        + New chat
      </button>
      <div className="flex items-center gap-2 text-sm">
        <input
          id={archivedId}
          type="checkbox"
          checked={showArchived}
          onChange={(e) => appStore.setState({ showArchived: e.target.checked })}
        />
        <label htmlFor={archivedId}>Show archived</label>
      </div>
      <ul className="flex min-h-0 flex-1 flex-col gap-0.5 overflow-y-auto">
        {sessions.map((s) => (
          <ConversationItem key={s.id} session={s} active={s.id === active} />
        ))}
      </ul>
      {sessions.length === 0 && (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {ready ? 'No conversations yet.' : 'Conversations appear here once the assistant is configured.'}
        </p>
      )}
    </nav>
  );
}
