import type { MouseEvent } from 'react';
import { selectSession } from '../chat/chat-actions';
import { appStore } from '../stores/store';
import type { View } from '../stores/ui-slice';

/**
 * Paths the app owns: `/` (chat and workflows), `/c/{sessionId}` (a conversation open), `/runs/{id}` (a run's
 * page), `/jobs/{id}` (a job and its log), `/fleet`, `/triggers`, `/history`, `/login`. The address is the source of truth for what the
 * main area shows, so a reload or a shared link lands on the same thing.
 */
export type Route =
  | { view: 'chat'; sessionId: string | null }
  | { view: 'fleet' }
  | { view: 'triggers' }
  | { view: 'history' }
  | { view: 'run'; runId: string }
  | { view: 'job'; jobId: string }
  /** `/workflows` (name null), `/workflows/{name}`, its editor `/workflows/{name}/edit`, a new one `/workflows/new-workflow`. */
  | { view: 'library'; name: string | null; edit: boolean };

// Ids are UUIDs; anything else in those places is not ours and falls back to the chat.
const ID = '([0-9a-fA-F-]{8,64})';
const PATTERNS: [RegExp, (id: string) => Route][] = [
  [new RegExp(`^/c/${ID}/?$`), (id) => ({ view: 'chat', sessionId: id })],
  [new RegExp(`^/runs/${ID}/?$`), (id) => ({ view: 'run', runId: id })],
  [new RegExp(`^/jobs/${ID}/?$`), (id) => ({ view: 'job', jobId: id })],
];

// A workflow name is a lower-case identifier: it never holds the hyphen of `new-workflow`.
const WORKFLOW_PATH = /^\/workflows(?:\/(?:(new-workflow)|([a-z][a-z0-9_]{0,63})(\/edit)?))?\/?$/;

export function routeOf(path: string): Route {
  const library = WORKFLOW_PATH.exec(path);
  if (library) return { view: 'library', name: library[2] ?? null, edit: !!(library[1] || library[3]) };
  if (path === '/fleet' || path.startsWith('/fleet/')) return { view: 'fleet' };
  if (path === '/triggers' || path === '/triggers/') return { view: 'triggers' };
  if (path === '/history') return { view: 'history' };
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m?.[1]) return make(m[1]);
  }
  return { view: 'chat', sessionId: null };
}

export function pathOf(route: Route): string {
  switch (route.view) {
    case 'chat':
      return route.sessionId ? `/c/${route.sessionId}` : '/';
    case 'fleet':
      return '/fleet';
    case 'triggers':
      return '/triggers';
    case 'history':
      return '/history';
    case 'run':
      return `/runs/${route.runId}`;
    case 'job':
      return `/jobs/${route.jobId}`;
    case 'library':
      if (!route.name) return route.edit ? '/workflows/new-workflow' : '/workflows';
      return `/workflows/${route.name}${route.edit ? '/edit' : ''}`;
  }
}

/** Kept for callers that only need the view. */
export function viewOf(path: string): View {
  return routeOf(path).view;
}

export const runPath = (runId: string) => pathOf({ view: 'run', runId });
export const jobPath = (jobId: string) => pathOf({ view: 'job', jobId });
export const workflowPath = (name: string | null, edit = false) => pathOf({ view: 'library', name, edit });
export const chatPath = (sessionId: string | null) => pathOf({ view: 'chat', sessionId });

/** Puts the route in the store; a conversation named by the address is opened (and followed live). */
function apply(route: Route): void {
  const store = appStore;
  const routeId =
    route.view === 'run'
      ? route.runId
      : route.view === 'job'
        ? route.jobId
        : route.view === 'library'
          ? pathOf(route) // the library reads its page (list, workflow, editor) back with routeOf
          : null;
  store.setState({ view: route.view, routeId });
  if (route.view === 'chat' && store.getState().activeSessionId !== route.sessionId)
    selectSession(route.sessionId);
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (window.location.pathname !== path) {
    const url = path + window.location.search;
    if (opts.replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
  }
  apply(routeOf(path));
}

/** `href` and an `onClick` that navigates in place; a modified click (new tab, window) is left to the browser. */
export function linkProps(path: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href: path,
    onClick: (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(path);
    },
  };
}

/**
 * Follows the address (first load, back and forward), and keeps it following the open conversation: opening one
 * pushes `/c/{id}`, closing it (archive, delete) replaces it with `/`.
 */
export function listenToHistory(): () => void {
  const store = appStore;
  const sync = () => apply(routeOf(window.location.pathname));
  window.addEventListener('popstate', sync);
  sync();
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.activeSessionId === prev.activeSessionId || s.view !== 'chat') return;
    const path = chatPath(s.activeSessionId);
    if (window.location.pathname === path) return;
    const url = path + window.location.search;
    if (s.activeSessionId) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  });
  return () => {
    window.removeEventListener('popstate', sync);
    unsubscribe();
  };
}
