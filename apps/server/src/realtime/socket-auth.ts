import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { AuthError, type AuthService } from '../auth/auth.service';
import { principalOf } from '../http/principal';
import { handshakeRefusal } from './handshake-refusal';

export const userRoom = (userId: string) => `user:${userId}`;
/** Sockets opened with one web session, cut together when that session logs out. */
export const sessionRoom = (sessionHash: string) => `session:${sessionHash}`;

/**
 * Web client sockets authenticate like REST: the session cookie the browser sends with the handshake, or an
 * API token in `auth.token`. Who they are is kept on the socket for `socketActor` and role checks.
 */
export function authenticateSockets(nsp: Namespace, auth: AuthService, logger: Logger): void {
  nsp.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const headers = {
      authorization: typeof token === 'string' ? `Bearer ${token}` : undefined,
      cookie: socket.request.headers.cookie,
    };
    principalOf(auth, headers).then(
      (principal) => {
        if (!principal) return next(refuse(new AuthError('unauthorized', 'sign in, or send an API token')));
        Object.assign(socket.data, {
          username: principal.user.username,
          role: principal.user.role,
          userId: principal.user.id,
        });
        void socket.join(userRoom(principal.user.id));
        if (principal.sessionHash) void socket.join(sessionRoom(principal.sessionHash));
        next();
      },
      // A failure to check (the database is down) is not the user's: the web app must not sign them out for it.
      (err) => next(refuse(err)),
    );
  });

  const refuse = (err: unknown): Error => {
    const { refusal, log } = handshakeRefusal(err, 'code');
    if (log) logger.error({ err }, 'socket handshake failed');
    return refusal;
  };
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
