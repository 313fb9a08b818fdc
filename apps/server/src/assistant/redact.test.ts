import { describe, expect, it } from 'vitest';
import { bound, MASK, redact } from './redact';

describe('redact and bound (what the model and the chat may see)', () => {
  it('drops secret-named keys and masks token-looking values', () => {
    const out = redact({
      join_token: 'dbj_abcdefghijklmnop',
      nested: { apiKey: 'x', password: 'y', ok: 'value' },
      command: 'deploybot-agent --token dbj_abcdefghijklmnopqrstuvwxyz --hostname web-01',
      url: 'https://user:hunter2@git.example.com/org/app.git',
      list: ['sk-0123456789abcdefghij', 'plain'],
    });
    expect(out).toEqual({
      join_token: MASK,
      nested: { apiKey: MASK, password: MASK, ok: 'value' },
      command: `deploybot-agent --token ${MASK} --hostname web-01`,
      url: `https://${MASK}@git.example.com/org/app.git`,
      list: [MASK, 'plain'],
    });
  });

  it('cuts long results to the bound, keeping their shape', () => {
    const big = { lines: Array.from({ length: 5000 }, (_, i) => ({ seq: i, line: 'x'.repeat(300) })) };
    const cut = bound(big, 8000);
    expect(JSON.stringify(cut).length).toBeLessThanOrEqual(8000);
    expect((cut as { lines: unknown[] }).lines.at(-1)).toMatch(/more$/);
    expect(bound({ a: 1 }, 8000)).toEqual({ a: 1 });
  });
});
