import { z } from 'zod';

/** Every machine-readable error code the API answers with. */
export const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'internal',
  'unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one error shape for every 4xx/5xx answer and every failed socket ack. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** One field at fault, as carried in `error.details` of a `validation_failed` answer. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Socket.IO acks use the same envelope as REST: either data or the one error shape. */
export type Ack<T> = { data: T } | ErrorBody;
