import type { Ack } from '@deploybot/shared';
import { z } from 'zod';
import { EngineError } from '../engine/errors';
import { FleetError } from '../fleet/agents.service';
import { issuesOf } from '../http/http-error';

/** Answers a socket request with the same envelope REST uses, whatever the handler throws. */
export async function answer<T>(ack: unknown, work: () => Promise<T>): Promise<void> {
  // A client that sends no ack callback gets nothing back; it must not crash the handler.
  const reply = typeof ack === 'function' ? (ack as (res: Ack<T>) => void) : () => {};
  try {
    reply({ data: await work() });
  } catch (err) {
    if (err instanceof z.ZodError) {
      reply({ error: { code: 'validation_failed', message: 'invalid payload', details: issuesOf(err) } });
    } else if (err instanceof EngineError || err instanceof FleetError) {
      reply({
        error: {
          code: err.code,
          message: err.message,
          ...(err instanceof EngineError && { details: err.details }),
        },
      });
    } else {
      reply({ error: { code: 'internal', message: 'internal error' } });
    }
  }
}
