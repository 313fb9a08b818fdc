import { UserMenu } from '../auth/user-menu';
import { chatPath, navigate } from '../lib/router';
import { appStore, useAppStore } from '../stores/store';
import { ThemeToggle } from './theme-toggle';

const CONNECTION_TEXT = { connecting: 'Connecting…', online: 'Live', offline: 'Reconnecting…' } as const;

export function Header() {
  const view = useAppStore((s) => s.view);
  const activeSessionId = useAppStore((s) => s.activeSessionId);
  const connection = useAppStore((s) => s.connection);
  const leftOpen = useAppStore((s) => s.leftOpen);
  const rightOpen = useAppStore((s) => s.rightOpen);
  // The run and job pages belong to the chat and the fleet tabs respectively.
  const tabOf = view === 'run' ? 'chat' : view === 'job' ? 'fleet' : view;
  const tab = (
    target: 'chat' | 'fleet' | 'triggers' | 'history' | 'library',
    label: string,
    path: string,
  ) => (
    <a
      href={path}
      aria-current={tabOf === target ? (view === target ? 'page' : 'true') : undefined}
      className={`rounded-md px-2 py-1 text-sm ${tabOf === target ? 'bg-slate-200 font-medium dark:bg-slate-800' : 'hover:bg-slate-100 dark:hover:bg-slate-800'}`}
      onClick={(e) => {
        e.preventDefault();
        navigate(path);
      }}
      data-testid={`nav-${target}`}
    >
      {label}
    </a>
  );
  return (
    <header className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-700">
      {view === 'chat' && (
        <button
          type="button"
          className="btn-secondary text-xs"
          aria-expanded={leftOpen}
          aria-controls="conversations-pane"
          onClick={() => appStore.setState({ leftOpen: !leftOpen })}
          data-testid="toggle-left"
        >
          ☰ <span className="sr-only sm:not-sr-only">Chats</span>
        </button>
      )}
      <h1 className="font-semibold">DeployBot</h1>
      <nav aria-label="Views" className="flex gap-1">
        {tab('chat', 'Chat & workflows', chatPath(activeSessionId))}
        {tab('fleet', 'Fleet', '/fleet')}
        {tab('triggers', 'Triggers', '/triggers')}
        {tab('history', 'History', '/history')}
        {tab('library', 'Library', '/workflows')}
      </nav>
      <span
        className={`ml-auto text-xs ${connection === 'online' ? 'text-green-700 dark:text-green-400' : 'text-amber-700 dark:text-amber-400'}`}
        role="status"
        data-testid="connection-status"
        data-state={connection}
      >
        ● {CONNECTION_TEXT[connection]}
      </span>
      <ThemeToggle />
      <UserMenu />
      {view === 'chat' && (
        <button
          type="button"
          className="btn-secondary text-xs"
          aria-expanded={rightOpen}
          aria-controls="workflow-pane"
          onClick={() => appStore.setState({ rightOpen: !rightOpen })}
          data-testid="toggle-right"
        >
          Workflows ▤
        </button>
      )}
    </header>
  );
}
