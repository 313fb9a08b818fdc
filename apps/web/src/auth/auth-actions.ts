import { setUnauthorizedHandler } from '../lib/api';
import { type AuthSession, fetchSession, logout } from '../lib/auth';
import { connectRealtime, disconnectRealtime } from '../lib/realtime';
import { appStore } from '../stores/store';

function signedOut(): void {
  disconnectRealtime();
  appStore.setState({ authStatus: 'signed-out', session: null });
  if (window.location.pathname !== '/login') {
    const next = window.location.pathname + window.location.search;
    window.history.replaceState(null, '', `/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`);
  }
}

/** Signed in (or on a server without auth): remember who, and open the live connection. */
export function signedIn(session: AuthSession): void {
  appStore.setState({ authStatus: 'signed-in', session });
  setUnauthorizedHandler(signedOut);
  connectRealtime(signedOut);
}

/** At start-up: who is this, if anyone. */
export async function bootstrapAuth(): Promise<void> {
  const session = await fetchSession();
  if (session) signedIn(session);
  else signedOut();
}

export async function signOut(): Promise<void> {
  await logout().catch(() => {});
  signedOut();
}
