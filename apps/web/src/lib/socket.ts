import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@deploybot/shared';
import { io, type Socket } from 'socket.io-client';
import { ApiError } from './api';

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One connection to the controller (same origin; the session cookie authenticates it). */
export function createSocket(): AppSocket {
  return io({ autoConnect: false, withCredentials: true, transports: ['websocket', 'polling'] });
}

const ACK_TIMEOUT_MS = 10_000;

/** Emits a request and unwraps its `{ data } | { error }` ack; a missing ack rejects after 10 s. */
export async function ask<T>(
  socket: AppSocket,
  event: keyof ClientToServerEvents,
  payload: unknown,
): Promise<T> {
  // The typed event map cannot express "any event with an ack" generically; each caller names T.
  const loose = socket as unknown as {
    timeout(ms: number): { emitWithAck(ev: string, p: unknown): Promise<Ack<T>> };
  };
  const res = await loose.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  if ('error' in res) throw new ApiError(400, res.error.code, res.error.message);
  return res.data;
}
