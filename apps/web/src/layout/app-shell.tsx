import { useEffect } from 'react';
import { loadAiStatus } from '../chat/chat-actions';
import { ChatPane } from '../chat/chat-pane';
import { ConversationsList } from '../chat/conversations-list';
import { FleetView } from '../fleet/fleet-view';
import { JobPage } from '../fleet/job-page';
import { HistoryPage } from '../history/history-page';
import { errorMessage } from '../lib/api';
import { listenToHistory } from '../lib/router';
import { LibraryView } from '../library/library-view';
import { RunPage } from '../runs/run-page';
import { appStore, useAppStore } from '../stores/store';
import { TriggersPage } from '../triggers/triggers-page';
import { loadDefinitions, selectRun } from '../workflows/workflow-actions';
import { WorkflowSidebar } from '../workflows/workflow-sidebar';
import { Header } from './header';
import { useShortcuts } from './use-shortcuts';

/** The main area of the run and job pages, and of the fleet view: one column, no side panes. */
function PageMain({ children }: { children: React.ReactNode }) {
  return (
    <main id="main" className="flex min-h-0 flex-1">
      {children}
    </main>
  );
}

/**
 * Conversations | chat | workflow sidebar (collapsible; overlays on a phone), or a page of its own: the fleet, a
 * run, a job. What shows is what the address says (see lib/router).
 */
export function AppShell() {
  const view = useAppStore((s) => s.view);
  const routeId = useAppStore((s) => s.routeId);
  const leftOpen = useAppStore((s) => s.leftOpen);
  const rightOpen = useAppStore((s) => s.rightOpen);
  useShortcuts();

  useEffect(() => {
    const stop = listenToHistory();
    loadDefinitions().catch((err) =>
      appStore.setState({ chatError: `Could not load workflows: ${errorMessage(err)}` }),
    );
    void loadAiStatus();
    const run = new URLSearchParams(window.location.search).get('run');
    if (run) selectRun(run);
    return stop;
  }, []);

  let page: React.ReactNode = null;
  if (view === 'fleet') page = <FleetView />;
  else if (view === 'triggers') page = <TriggersPage />;
  else if (view === 'history') page = <HistoryPage />;
  else if (view === 'library') page = <LibraryView path={routeId ?? '/workflows'} />;
  else if (view === 'run' && routeId) page = <RunPage runId={routeId} />;
  else if (view === 'job' && routeId) page = <JobPage jobId={routeId} />;

  return (
    <div className="flex h-full flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:bg-white focus:p-2"
      >
        Skip to content
      </a>
      <Header />
      {page ? (
        <PageMain>{page}</PageMain>
      ) : (
        <div className="relative flex min-h-0 flex-1">
          {leftOpen && (
            <aside
              id="conversations-pane"
              className="absolute inset-y-0 left-0 z-20 w-64 border-r border-slate-200 bg-white md:static dark:border-slate-700 dark:bg-slate-950"
            >
              <ConversationsList />
            </aside>
          )}
          <main id="main" className="min-w-0 flex-1">
            <ChatPane />
          </main>
          {rightOpen && (
            <aside
              id="workflow-pane"
              aria-label="Workflows"
              className="absolute inset-y-0 right-0 z-20 w-full max-w-md border-l border-slate-200 bg-white md:static md:w-96 lg:w-[28rem] dark:border-slate-700 dark:bg-slate-950"
            >
              <WorkflowSidebar />
            </aside>
          )}
        </div>
      )}
    </div>
  );
}
