import type { IncomingMessage } from 'node:http';
import type { Namespace, Socket } from 'socket.io';
import type { AuthService } from '../auth/auth.service';
import { principalOf } from '../http/principal';

export const userRoom = (userId: string) => `user:${userId}`;
/** Sockets opened with one web session, cut together when that session logs out. */
export const sessionRoom = (sessionHash: string) => `session:${sessionHash}`;

/**
 * Web client sockets authenticate like REST: the session cookie the browser sends with the handshake, or an
 * API token in `auth.token`. Who they are is kept on the socket for `socketActor` and role checks.
 */
export function authenticateSockets(nsp: Namespace, auth: AuthService): void {
  nsp.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const headers = {
      authorization: typeof token === 'string' ? `Bearer ${token}` : undefined,
      cookie: socket.request.headers.cookie,
    };
    principalOf(auth, headers).then(
      (principal) => {
        if (!principal) return next(new Error('unauthorized'));
        Object.assign(socket.data, {
          username: principal.user.username,
          role: principal.user.role,
          userId: principal.user.id,
        });
        void socket.join(userRoom(principal.user.id));
        if (principal.sessionHash) void socket.join(sessionRoom(principal.sessionHash));
        next();
      },
      () => next(new Error('unauthorized')),
    );
  });
}

/**
 * Browsers send the session cookie with a WebSocket handshake from any page; refuse handshakes from pages of
 * other origins unless allow-listed (SameSite=Strict already withholds the cookie; this is the second lock).
 */
export function originAllowed(req: IncomingMessage, allowList: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser (agents, scripts)
  const host = req.headers.host;
  try {
    if (host && new URL(origin).host === host) return true;
  } catch {
    return false;
  }
  return allowList.includes(origin);
}

export type AuthenticatedSocket = Socket & { data: { username: string; role: string; userId: string } };
