import { createHmac, timingSafeEqual } from 'node:crypto';

/** GitHub's header: `sha256=` and the hex HMAC-SHA256 of the raw body with the webhook's secret. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';
export const DELIVERY_HEADER = 'x-github-delivery';
export const EVENT_HEADER = 'x-github-event';

/** The `X-Hub-Signature-256` value for `body` signed with `secret`. */
export function signatureOf(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is the signature of exactly these bytes. The comparison takes the same time whatever the
 * header holds (a malformed one is compared against a dummy of the right length), so timing tells nothing.
 */
export function signatureMatches(secret: string, body: Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(signatureOf(secret, body), 'utf8');
  const wellFormed = typeof header === 'string' && /^sha256=[0-9a-f]{64}$/i.test(header);
  const given = wellFormed ? Buffer.from(header.toLowerCase(), 'utf8') : Buffer.alloc(expected.length);
  return timingSafeEqual(given, expected) && wellFormed;
}
