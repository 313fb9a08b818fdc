import type { Ack } from '@deploybot/shared';
import { z } from 'zod';
import { AssistantError } from '../assistant/errors';
import { AuthError } from '../auth/auth.service';
import { EngineError } from '../engine/errors';
import { FleetError } from '../fleet/agents.service';
import { issuesOf } from '../http/http-error';
import { findUnsafeText, UnsafeTextError } from '../http/safe-text';

/** Answers a socket request with the same envelope REST uses, whatever the handler throws. */
export async function answer<T>(ack: unknown, work: () => Promise<T>): Promise<void> {
  // A client that sends no ack callback gets nothing back; it must not crash the handler.
  const reply = typeof ack === 'function' ? (ack as (res: Ack<T>) => void) : () => {};
  try {
    reply({ data: await work() });
  } catch (err) {
    if (err instanceof UnsafeTextError) {
      reply({
        error: {
          code: 'validation_failed',
          message: err.message,
          details: [{ path: err.path, message: err.message }],
        },
      });
    } else if (err instanceof z.ZodError) {
      reply({ error: { code: 'validation_failed', message: 'invalid payload', details: issuesOf(err) } });
    } else if (
      err instanceof EngineError ||
      err instanceof FleetError ||
      err instanceof AuthError ||
      err instanceof AssistantError
    ) {
      reply({
        error: {
          code: err.code,
          message: err.message,
          ...(err instanceof EngineError && err.details !== undefined && { details: err.details }),
        },
      });
    } else {
      reply({ error: { code: 'internal', message: 'internal error' } });
    }
  }
}

interface Listener {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Registers a request handler: the ack is the last argument whatever came before it (a client may send only
 * the callback), the payload is refused if it holds unsafe text, and the answer uses the one envelope.
 */
export function onRequest<T>(socket: Listener, event: string, work: (payload: unknown) => Promise<T>): void {
  socket.on(event, (...args: unknown[]) => {
    const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
    const payload = args[0];
    void answer(ack, async () => {
      const unsafe = findUnsafeText(payload ?? null);
      if (unsafe) throw new UnsafeTextError(unsafe);
      return work(payload);
    });
  });
}
