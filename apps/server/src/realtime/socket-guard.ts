import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { DeployBotError } from '../errors/deploybot-error';
import { toErrorBody } from '../errors/to-error-body';
import { handshakeRefusal } from './handshake-refusal';
import { TokenBucket } from './token-bucket';

/** What web client sockets may ask of the controller: at once, per second, and per user. */
export interface SocketLimits {
  /** Requests one socket may have unanswered at once. Default 8. */
  inFlightPerSocket: number;
  /** Requests per second one socket may send, sustained. Default 20. */
  ratePerSocket: number;
  /** Requests one socket may send at once after a quiet spell. Default 60. */
  burstPerSocket: number;
  /** Requests per second one user may send over all of their sockets. Default 50. */
  ratePerUser: number;
  /** Requests one user may send at once over all of their sockets. Default 150. */
  burstPerUser: number;
  /** Sockets one user may have open; a handshake beyond is refused and the open ones keep working. Default 20. */
  socketsPerUser: number;
  /** Refused requests per minute that get a socket disconnected. Default 120. */
  refusalsPerMinute: number;
  /** Bytes of log lines (as JSON, about) in one `job:subscribe` or `job:logs` answer. Default 256 KiB. */
  logPageBytes: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  inFlightPerSocket: 8,
  ratePerSocket: 20,
  burstPerSocket: 60,
  ratePerUser: 50,
  burstPerUser: 150,
  socketsPerUser: 20,
  refusalsPerMinute: 120,
  logPageBytes: 256 * 1024,
};

type AckFn = (res: unknown) => void;

interface UserState {
  sockets: Set<string>;
  requests: TokenBucket;
}

const userIdOf = (socket: Socket): string | undefined => (socket.data as { userId?: string }).userId;

/**
 * Bounds what web clients can make the controller do. A user's handshake beyond `socketsPerUser` is refused
 * (refusing the newest keeps open tabs working and cannot start a reconnect fight between them). Every request
 * takes a token from its socket's and its user's bucket and a slot of its socket's in-flight requests, freed
 * when it is answered; a request over a limit is answered `rate_limited` at once, without reaching a handler,
 * and a socket that keeps sending them is disconnected. Register after `authenticateSockets`.
 */
export function guardSockets(nsp: Namespace, limits: SocketLimits, logger: Logger, now?: () => number): void {
  // One entry per user who connected since the start (buckets must outlive reconnects): as many as users.
  const users = new Map<string, UserState>();
  const userState = (userId: string): UserState => {
    let user = users.get(userId);
    if (!user) {
      user = { sockets: new Set(), requests: new TokenBucket(limits.ratePerUser, limits.burstPerUser, now) };
      users.set(userId, user);
    }
    return user;
  };

  nsp.use((socket, next) => {
    const userId = userIdOf(socket);
    if (!userId) return next(refusedHandshake('unauthorized', 'not signed in'));
    const user = userState(userId);
    if (user.sockets.size >= limits.socketsPerUser) {
      logger.warn({ userId, sockets: user.sockets.size }, 'socket refused: too many sockets for one user');
      return next(
        refusedHandshake(
          'rate_limited',
          `you already have ${user.sockets.size} live connections (the most allowed); close a tab or window and reload`,
        ),
      );
    }
    user.sockets.add(socket.id);
    // A handshake dropped before it completes never emits `disconnect`; its connection closing does.
    const release = () => {
      user.sockets.delete(socket.id);
      socket.conn.off('close', release);
    };
    socket.on('disconnect', release);
    socket.conn.once('close', release);
    next();
  });

  nsp.on('connection', (socket) => {
    const user = userState(userIdOf(socket)!);
    const requests = new TokenBucket(limits.ratePerSocket, limits.burstPerSocket, now);
    const refusals = new TokenBucket(limits.refusalsPerMinute / 60, limits.refusalsPerMinute, now);
    let inFlight = 0;

    const refusal = (event: string): DeployBotError | null => {
      if (inFlight >= limits.inFlightPerSocket)
        return new DeployBotError(
          'rate_limited',
          `${inFlight} requests of this connection are still unanswered; wait for their answers`,
        );
      if (!requests.ready() || !user.requests.ready()) {
        const retryAfterMs = Math.max(requests.waitMs(), user.requests.waitMs());
        const message = `too many requests; retry in ${Math.ceil(retryAfterMs / 1000)} s`;
        return new DeployBotError('rate_limited', message, { details: { retryAfterMs } });
      }
      requests.take();
      user.requests.take();
      if (socket.listeners(event).length === 0) return new DeployBotError('not_found', 'no such request');
      return null;
    };

    socket.use((packet, next) => {
      const last = packet.at(-1);
      const ack = typeof last === 'function' ? (last as AckFn) : null;
      const refused = refusal(String(packet[0]));
      if (refused) {
        ack?.(toErrorBody(refused).body);
        if (!refusals.take()) {
          logger.warn({ userId: userIdOf(socket) }, 'socket disconnected: it kept sending refused requests');
          socket.disconnect(true);
        }
        return;
      }
      // The slot is freed when the handler answers (every handler answers once, through `answer`).
      inFlight += 1;
      let answered = false;
      const free = () => {
        if (!answered) inFlight -= 1;
        answered = true;
      };
      if (ack)
        packet[packet.length - 1] = (res: unknown) => {
          free();
          ack(res);
        };
      else packet.push(free); // a request without a callback still holds its slot until handled
      next();
    });
  });
}

function refusedHandshake(code: 'unauthorized' | 'rate_limited', message: string): Error {
  return handshakeRefusal(new DeployBotError(code, message), 'code').refusal;
}
