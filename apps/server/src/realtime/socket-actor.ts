import type { Socket } from 'socket.io';

/**
 * Who is on the other end of a web client socket, recorded on what it does. Until authentication lands
 * every socket is `anonymous`, exactly as REST requests are.
 */
export function socketActor(socket: Socket): string {
  return (socket.data as { username?: string }).username ?? 'anonymous';
}
