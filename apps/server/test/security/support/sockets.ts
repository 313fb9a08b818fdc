import type { ClientToServerEvents, ServerToClientEvents } from '@deploybot/shared';
import { io, type Socket } from 'socket.io-client';

export type WebSocketClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface WebCredentials {
  token?: string;
  cookie?: string;
  /** Sent as the handshake's Origin header (a browser page's origin). */
  origin?: string;
  /** Anything else in the handshake's `auth`. */
  auth?: Record<string, unknown>;
}

/** A web client socket on the default namespace; resolves when connected, rejects with the connect_error. */
export async function connectWeb(url: string, creds: WebCredentials = {}): Promise<WebSocketClient> {
  const extraHeaders: Record<string, string> = {};
  if (creds.cookie) extraHeaders.cookie = creds.cookie;
  if (creds.origin) extraHeaders.origin = creds.origin;
  const socket: WebSocketClient = io(url, {
    auth: { ...(creds.token !== undefined && { token: creds.token }), ...creds.auth },
    extraHeaders,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return socket;
}

/** The connect_error message of a handshake, or null when it connected (the socket is then closed). */
export async function handshakeRefusal(url: string, creds: WebCredentials = {}): Promise<string | null> {
  try {
    const socket = await connectWeb(url, creds);
    socket.close();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export const NO_ACK = Symbol('no ack');

/** Emits any event with any payload; resolves with the ack, or NO_ACK when none came within `timeoutMs`. */
export async function askAny(
  socket: WebSocketClient,
  event: string,
  payload: unknown,
  timeoutMs = 3000,
): Promise<unknown> {
  const raw = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(ev: string, ...args: unknown[]): Promise<unknown>;
  };
  try {
    return await (payload === undefined ? raw.emitWithAck(event) : raw.emitWithAck(event, payload));
  } catch (err) {
    if ((err as Error).message.includes('timed out')) return NO_ACK;
    throw err;
  }
}

/** Resolves with the reason once the server cut the socket; rejects after `timeoutMs`. */
export function disconnection(socket: WebSocketClient, timeoutMs = 3000): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket was not disconnected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}
