import type { Request } from 'express';
import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { socketActor, socketRole } from '../realtime/socket-actor';
import { signedIn } from './access';
import { principalActor } from './actor';
import { HttpError } from './http-error';

/** No default identity anywhere: without a signed-in user, the helpers that say "who" refuse. */
describe('failing closed', () => {
  it('a request without a principal is 401 for signedIn and principalActor, never "anonymous"', () => {
    const req = {} as Request;
    for (const ask of [() => signedIn(req), () => principalActor(req)]) {
      expect(ask).toThrow(HttpError);
      try {
        ask();
      } catch (err) {
        expect((err as HttpError).status).toBe(401);
      }
    }
  });

  it('a socket without a user has no actor and no role', () => {
    const socket = { data: {} } as Socket;
    expect(() => socketActor(socket)).toThrow(/no signed-in user/);
    expect(() => socketRole(socket)).toThrow(/no signed-in user/);
    const signed = { data: { username: 'alice', role: 'operator' } } as unknown as Socket;
    expect([socketActor(signed), socketRole(signed)]).toEqual(['alice', 'operator']);
  });
});
