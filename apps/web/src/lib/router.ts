import { appStore } from '../stores/store';
import type { View } from '../stores/ui-slice';

/** Paths the app owns: `/` (chat and workflows), `/fleet`, `/login`. */
export function viewOf(path: string): View {
  return path.startsWith('/fleet') ? 'fleet' : 'chat';
}

export function navigate(path: string): void {
  if (window.location.pathname !== path) window.history.pushState(null, '', path + window.location.search);
  appStore.setState({ view: viewOf(path) });
}

export function listenToHistory(): () => void {
  const sync = () => appStore.setState({ view: viewOf(window.location.pathname) });
  window.addEventListener('popstate', sync);
  sync();
  return () => window.removeEventListener('popstate', sync);
}
