import type { Role } from '@deploybot/shared';
import type { Socket } from 'socket.io';
import { AuthError } from '../auth/auth.service';

/**
 * Who is on the other end of a web client socket (set by `authenticateSockets`), recorded on what it does.
 * A socket without a user fails closed: nothing is ever done as a default identity.
 */
export function socketActor(socket: Socket): string {
  const username = (socket.data as { username?: string }).username;
  if (!username) throw new AuthError('unauthorized', 'this socket has no signed-in user');
  return username;
}

/** The socket user's role, failing closed like `socketActor`. */
export function socketRole(socket: Socket): Role {
  const role = (socket.data as { role?: Role }).role;
  if (!role) throw new AuthError('unauthorized', 'this socket has no signed-in user');
  return role;
}
