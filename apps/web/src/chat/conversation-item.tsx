import type { ChatSessionDto } from '@deploybot/shared';
import { useState } from 'react';
import { deleteSession, selectSession, updateSession } from './chat-actions';

/** One conversation: open it, rename it in place, archive or delete it (after a confirmation). */
export function ConversationItem({ session, active }: { session: ChatSessionDto; active: boolean }) {
  const [renaming, setRenaming] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [title, setTitle] = useState(session.title);

  if (renaming) {
    return (
      <li className="px-2 py-1">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (title.trim()) await updateSession(session.id, { title: title.trim() });
            setRenaming(false);
          }}
        >
          <label className="sr-only" htmlFor={`rename-${session.id}`}>
            New title
          </label>
          <input
            id={`rename-${session.id}`}
            // biome-ignore lint/a11y/noAutofocus: the person just asked to rename this conversation
            autoFocus
            className="w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900"
            value={title}
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setRenaming(false)}
            onBlur={() => setRenaming(false)}
          />
        </form>
      </li>
    );
  }
  return (
    <li
      className={`group rounded px-2 py-1 ${active ? 'bg-slate-200 dark:bg-slate-800' : 'hover:bg-slate-100 dark:hover:bg-slate-800/60'}`}
      data-testid="conversation-item"
    >
      <button
        type="button"
        className="w-full truncate text-left text-sm"
        aria-current={active ? 'page' : undefined}
        onClick={() => selectSession(session.id)}
      >
        {session.title}
        {session.archived && (
          <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">(archived)</span>
        )}
      </button>
      {confirmDelete ? (
        <div className="mt-1 flex gap-1 text-xs">
          <span>Delete for good?</span>
          <button
            type="button"
            className="text-red-700 underline dark:text-red-400"
            onClick={() => void deleteSession(session.id)}
          >
            Delete
          </button>
          <button type="button" className="underline" onClick={() => setConfirmDelete(false)}>
            Keep
          </button>
        </div>
      ) : (
        <div className="mt-0.5 flex gap-2 text-xs text-slate-600 dark:text-slate-400">
          <button
            type="button"
            className="hover:underline"
            aria-label={`Rename ${session.title}`}
            onClick={() => setRenaming(true)}
          >
            Rename
          </button>
          <button
            type="button"
            className="hover:underline"
            aria-label={`${session.archived ? 'Unarchive' : 'Archive'} ${session.title}`}
            onClick={() => void updateSession(session.id, { archived: !session.archived })}
          >
            {session.archived ? 'Unarchive' : 'Archive'}
          </button>
          <button
            type="button"
            className="hover:underline"
            aria-label={`Delete ${session.title}`}
            onClick={() => setConfirmDelete(true)}
          >
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
