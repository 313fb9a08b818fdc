import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows the burst at once, then the rate, and never saves more than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.waitMs()).toBe(100);
    now += 100;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('ready() looks without taking', () => {
    const bucket = new TokenBucket(1, 1, () => 0);
    expect(bucket.ready()).toBe(true);
    expect(bucket.ready()).toBe(true);
    expect(bucket.take()).toBe(true);
    expect(bucket.ready()).toBe(false);
  });
});
