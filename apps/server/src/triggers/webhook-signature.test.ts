import { describe, expect, it } from 'vitest';
import { signatureMatches, signatureOf } from './webhook-signature';

// GitHub's documented example ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = Buffer.from('Hello, World!');
const EXPECTED = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('webhook signatures (X-Hub-Signature-256)', () => {
  it("computes GitHub's documented example", () => {
    expect(signatureOf(SECRET, PAYLOAD)).toBe(EXPECTED);
  });

  it('accepts exactly the signature of these bytes with this secret', () => {
    expect(signatureMatches(SECRET, PAYLOAD, EXPECTED)).toBe(true);
    expect(signatureMatches(SECRET, PAYLOAD, EXPECTED.toUpperCase().replace('SHA256=', 'sha256='))).toBe(
      true,
    );
    expect(signatureMatches(SECRET, Buffer.from('Hello, World?'), EXPECTED)).toBe(false);
    expect(signatureMatches('another secret', PAYLOAD, EXPECTED)).toBe(false);
  });

  it('refuses missing and malformed headers', () => {
    for (const header of [
      undefined,
      '',
      'sha256=',
      EXPECTED.slice(0, -1),
      `${EXPECTED}0`,
      EXPECTED.replace('sha256=', 'sha1='),
      EXPECTED.replace('sha256=', ''),
      ` ${EXPECTED}`,
      `sha256=${'z'.repeat(64)}`,
    ]) {
      expect(signatureMatches(SECRET, PAYLOAD, header), String(header)).toBe(false);
    }
  });
});
