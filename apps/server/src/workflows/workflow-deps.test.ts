import { describe, expect, it } from 'vitest';
import { formatMs, parseLabels, withTimeout } from './workflow-deps';

describe('parseLabels', () => {
  it('reads key=value pairs and refuses anything else', () => {
    expect(parseLabels('region=eu, tier=web')).toEqual({ region: 'eu', tier: 'web' });
    expect(parseLabels(undefined)).toEqual({});
    expect(() => parseLabels('region')).toThrow(/key=value/);
    expect(() => parseLabels('$(rm -rf /)=x')).toThrow(/key=value/);
  });
});

describe('withTimeout', () => {
  it('aborts with the message after the delay, or with the parent', async () => {
    const timed = withTimeout(new AbortController().signal, 10, 'too slow');
    await new Promise((r) => setTimeout(r, 30));
    expect(timed.aborted).toBe(true);
    expect((timed.reason as Error).message).toBe('too slow');
    const parent = new AbortController();
    const child = withTimeout(parent.signal, 10_000, 'never');
    parent.abort(new Error('cancelled'));
    expect((child.reason as Error).message).toBe('cancelled');
  });
});

describe('formatMs', () => {
  it('picks a readable unit', () => {
    expect([formatMs(null), formatMs(12), formatMs(1500), formatMs(600_000)]).toEqual([
      'n/a',
      '12 ms',
      '1.5 s',
      '10 min',
    ]);
  });
});
