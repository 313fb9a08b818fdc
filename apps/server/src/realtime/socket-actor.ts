import type { Role } from '@deploybot/shared';
import type { Socket } from 'socket.io';

/** Who is on the other end of a web client socket (set by `authenticateSockets`), recorded on what it does. */
export function socketActor(socket: Socket): string {
  return (socket.data as { username?: string }).username ?? 'anonymous';
}

/** The socket user's role; sockets only exist after authentication, so `viewer` is only a type-level fallback. */
export function socketRole(socket: Socket): Role {
  return (socket.data as { role?: Role }).role ?? 'viewer';
}
