import { describe, expect, it } from 'vitest';
import { decideDemo, isLoopbackHost } from './demo-policy';

describe('decideDemo', () => {
  it.each([
    // setting, DATABASE_URL, HOST → enabled, forced
    [undefined, undefined, '127.0.0.1', true, false],
    [undefined, undefined, 'localhost', true, false],
    [undefined, undefined, '::1', true, false],
    [undefined, undefined, '0.0.0.0', false, false],
    [undefined, undefined, '192.168.1.10', false, false],
    [undefined, 'postgres://db/deploybot', '127.0.0.1', false, false],
    ['true', undefined, '127.0.0.1', true, false],
    ['1', undefined, '0.0.0.0', true, true],
    ['true', 'postgres://db/deploybot', '127.0.0.1', true, true],
    ['false', undefined, '127.0.0.1', false, false],
    ['0', undefined, '127.0.0.1', false, false],
  ] as const)(
    'DEPLOYBOT_DEMO=%s DATABASE_URL=%s HOST=%s → on: %s, forced: %s',
    (setting, databaseUrl, host, enabled, forced) => {
      expect(decideDemo({ setting, databaseUrl, host })).toMatchObject({ enabled, forced });
    },
  );

  it('says why, naming every reason', () => {
    const off = decideDemo({ setting: undefined, databaseUrl: 'postgres://db/x', host: '0.0.0.0' });
    expect(off.reason).toMatch(
      /^demo off: DATABASE_URL is set \(a real database\) and the controller listens on 0\.0\.0\.0/,
    );
    expect(off.reason).toMatch(/DEPLOYBOT_DEMO=true/);
    const forced = decideDemo({ setting: 'true', databaseUrl: undefined, host: '0.0.0.0' });
    expect(forced.reason).toMatch(
      /^demo on because DEPLOYBOT_DEMO=true, although the controller listens on 0\.0\.0\.0/,
    );
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['localhost.example.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
