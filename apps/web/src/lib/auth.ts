import type { SessionDto, UserDto } from '@deploybot/shared';
import { ApiError, api, setCsrfToken } from './api';

/** Who is using the app. */
export interface AuthSession {
  user: UserDto;
  csrfToken: string | null;
}

function adopt(session: SessionDto): AuthSession {
  setCsrfToken(session.csrfToken);
  return { user: session.user, csrfToken: session.csrfToken };
}

/** The current session, or null when the person must log in. */
export async function fetchSession(): Promise<AuthSession | null> {
  try {
    return adopt(await api<SessionDto>('GET', '/v1/auth/me'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
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
