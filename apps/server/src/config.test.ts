import { describe, expect, it } from 'vitest';
import { loadConfig, parseTrustProxy } from './config';

describe('transport settings', () => {
  it('default to plain HTTP and no trusted proxy', () => {
    expect(loadConfig({}).security).toMatchObject({ https: false, trustProxy: false });
  });

  it('DEPLOYBOT_HTTPS and DEPLOYBOT_TRUST_PROXY take the documented forms', () => {
    const config = loadConfig({ DEPLOYBOT_HTTPS: 'true', DEPLOYBOT_TRUST_PROXY: 'loopback' });
    expect(config.security).toMatchObject({ https: true, trustProxy: ['loopback'] });
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.7')).toEqual(['10.0.0.0/8', '192.168.1.7']);
  });

  it('a malformed value stops the start naming the variable', () => {
    expect(() => loadConfig({ DEPLOYBOT_TRUST_PROXY: 'everyone' })).toThrow(/DEPLOYBOT_TRUST_PROXY/);
    expect(() => loadConfig({ DEPLOYBOT_HTTPS: 'yes' })).toThrow(/DEPLOYBOT_HTTPS/);
  });
});
