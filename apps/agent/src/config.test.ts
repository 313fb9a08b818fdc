import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from './config';

describe('resolveConfig', () => {
  it('applies defaults and resolves the work dir', () => {
    const c = resolveConfig({ controller: 'http://127.0.0.1:3000', hostname: 'Web-01', workdir: 'rel/dir' });
    expect(c).toMatchObject({ hostname: 'web-01', keepReleases: 5, concurrency: 1, logLevel: 'info' });
    expect(c.workdir).toBe(path.resolve('rel/dir'));
    expect(c.token).toBeUndefined();
  });

  it('names every flag at fault, with its environment variable', () => {
    let message = '';
    try {
      resolveConfig({ controller: 'ftp://x', hostname: 'under_score', token: 'short' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/--controller \(or DEPLOYBOT_CONTROLLER\) must be an http/);
    expect(message).toMatch(/--hostname .* RFC 1123/);
    expect(message).toMatch(/--token .* at least 16/);
    expect(message).toMatch(/--workdir .* is required/);
  });
});
