import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cronKey, eventKey, hookKey, runIdForKey } from './firing-key';

describe('firing keys', () => {
  it('say what fired, when or which event', () => {
    const t = '00000000-0000-4000-8000-000000000001';
    expect(cronKey(t, new Date('2025-03-01T08:00:00Z'))).toBe(`cron:${t}:2025-03-01T08:00:00.000Z`);
    expect(eventKey(t, 'job.failed:abc')).toBe(`event:${t}:job.failed:abc`);
    expect(hookKey(t, 'delivery-1')).toBe(`hook:${t}:delivery-1`);
  });

  it('give each key one run id: the same on every controller, a different one for every other key', () => {
    const a = runIdForKey('hook:t:1');
    expect(runIdForKey('hook:t:1')).toBe(a);
    expect(runIdForKey('hook:t:2')).not.toBe(a);
    expect(runIdForKey('hook:u:1')).not.toBe(a);
    // An RFC 9562 name-based (version 5) UUID, which run id validation accepts.
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(a).success).toBe(true);
    const many = new Set(Array.from({ length: 10_000 }, (_, i) => runIdForKey(`cron:t:${i}`)));
    expect(many.size).toBe(10_000);
  });
});
