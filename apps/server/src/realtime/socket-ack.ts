import type { Ack } from '@deploybot/shared';
import type { Logger } from 'pino';
import { toErrorBody } from '../errors/to-error-body';
import { findUnsafeText, UnsafeTextError } from '../http/safe-text';

/**
 * Answers a socket request with the same envelope REST uses, whatever the handler throws: the one mapper decides
 * the code and whether the message may be shown; a fault of ours is logged, with the request's name.
 */
export async function answer<T>(
  ack: unknown,
  work: () => Promise<T>,
  logger: Logger,
  event: string,
): Promise<void> {
  // A client that sends no ack callback gets nothing back; it must not crash the handler.
  const reply = typeof ack === 'function' ? (ack as (res: Ack<T>) => void) : () => {};
  try {
    reply({ data: await work() });
  } catch (err) {
    const { body, log } = toErrorBody(err);
    if (log) logger.error({ err, event }, 'socket request failed');
    reply(body);
  }
}

interface Listener {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Registers a request handler: the ack is the last argument whatever came before it (a client may send only
 * the callback), the payload is refused if it holds unsafe text, and the answer uses the one envelope.
 */
export function onRequest<T>(
  socket: Listener,
  event: string,
  logger: Logger,
  work: (payload: unknown) => Promise<T>,
): void {
  socket.on(event, (...args: unknown[]) => {
    const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
    const payload = args[0];
    void answer(
      ack,
      async () => {
        const unsafe = findUnsafeText(payload ?? null);
        if (unsafe) throw new UnsafeTextError(unsafe);
        return work(payload);
      },
      logger,
      event,
    );
  });
}
