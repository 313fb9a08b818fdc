import type { SessionDto, UserDto } from '@deploybot/shared';
import { ApiError, api, setCsrfToken } from './api';

/** Who is using the app; `authEnabled: false` when the server has no authentication at all. */
export interface AuthSession {
  user: UserDto;
  csrfToken: string | null;
  authEnabled: boolean;
}

/**
 * TEMPORARY FALLBACK — delete once every controller serves `/v1/auth/me`: a server that answers 404 there has no
 * authentication, so the app goes straight in as an admin-equivalent `anonymous` user (the server decides anyway).
 */
const NO_AUTH_SESSION: AuthSession = {
  user: { id: 'anonymous', username: 'anonymous', role: 'admin', createdAt: '', disabled: false },
  csrfToken: null,
  authEnabled: false,
};

function adopt(session: SessionDto): AuthSession {
  setCsrfToken(session.csrfToken);
  return { user: session.user, csrfToken: session.csrfToken, authEnabled: true };
}

/** The current session, or null when the person must log in. */
export async function fetchSession(): Promise<AuthSession | null> {
  try {
    return adopt(await api<SessionDto>('GET', '/v1/auth/me'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    if (err instanceof ApiError && err.status === 404) return NO_AUTH_SESSION; // the fallback above
    throw err;
  }
}

export async function login(username: string, password: string): Promise<AuthSession> {
  return adopt(await api<SessionDto>('POST', '/v1/auth/login', { username, password }));
}

export async function tokenLogin(token: string): Promise<AuthSession> {
  return adopt(await api<SessionDto>('POST', '/v1/auth/token-login', { token }));
}

export async function logout(): Promise<void> {
  try {
    await api('POST', '/v1/auth/logout');
  } finally {
    setCsrfToken(null);
  }
}

/** Reads `#token=…` from a login link (printed by the controller) and removes it from the address bar. */
export function takeTokenFromHash(loc: Location = window.location): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (!match?.[1]) return null;
  window.history.replaceState(null, '', loc.pathname + loc.search);
  return decodeURIComponent(match[1]);
}
