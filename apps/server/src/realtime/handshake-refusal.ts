import type { ErrorBody } from '@deploybot/shared';
import { toErrorBody } from '../errors/to-error-body';

/** The Error a Socket.IO middleware passes to `next` to refuse a handshake. */
export type HandshakeRefusal = Error & { data: ErrorBody };

/**
 * Refuses a handshake with the one mapper's answer: the client's `connect_error` carries the error shape as
 * `data`, and a message in the form its clients read: the bare code for web clients (the web app signs out on
 * "unauthorized"), "code: message" for agents (they log it). `log` says whether the refusal is a fault of ours.
 */
export function handshakeRefusal(
  err: unknown,
  form: 'code' | 'code_and_message',
): { refusal: HandshakeRefusal; log: boolean } {
  const { body, log } = toErrorBody(err);
  const { code, message } = body.error;
  const refusal = Object.assign(new Error(form === 'code' ? code : `${code}: ${message}`), { data: body });
  return { refusal, log };
}
