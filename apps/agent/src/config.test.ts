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

describe('resolveConfig: several controllers', () => {
  const base = { hostname: 'web-01', workdir: '/srv/a' };

  it('takes one URL, the flag repeated, or comma-separated lists (DEPLOYBOT_CONTROLLER), in that order', () => {
    expect(resolveConfig({ ...base, controller: 'http://a:1' }).controllers).toEqual(['http://a:1']);
    expect(
      resolveConfig({ ...base, controller: ['http://a:1', 'https://b:2, http://c:3'] }).controllers,
    ).toEqual(['http://a:1', 'https://b:2', 'http://c:3']);
    expect(resolveConfig({ ...base, controller: 'http://a:1,http://b:2' }).controllers).toEqual([
      'http://a:1',
      'http://b:2',
    ]);
  });

  it('refuses a list with a bad URL in it, or none at all', () => {
    expect(() => resolveConfig({ ...base, controller: 'http://a:1,ftp://b' })).toThrow(
      /--controller \(or DEPLOYBOT_CONTROLLER\) must be an http/,
    );
    expect(() => resolveConfig({ ...base, controller: ' , ' })).toThrow(/--controller .* is required/);
    expect(() => resolveConfig({ ...base })).toThrow(/--controller .* is required/);
  });
});

describe('resolveConfig: the state dir', () => {
  const base = { controller: 'http://127.0.0.1:3000', hostname: 'web-01' };

  it('defaults to one per work dir under $XDG_STATE_HOME (or ~/.local/state), outside the work dir', () => {
    const a = resolveConfig({ ...base, workdir: '/srv/a' }, { XDG_STATE_HOME: '/var/state' });
    const b = resolveConfig({ ...base, workdir: '/srv/b' }, { XDG_STATE_HOME: '/var/state' });
    expect(a.stateDir).toMatch(/^\/var\/state\/deploybot-agent\/[0-9a-f]{16}$/);
    expect(b.stateDir).not.toBe(a.stateDir);
    expect(resolveConfig({ ...base, workdir: '/srv/a' }, { HOME: '/home/deploy' }).stateDir).toMatch(
      /^\/home\/deploy\/\.local\/state\/deploybot-agent\/[0-9a-f]{16}$/,
    );
  });

  it('refuses a state dir inside the work dir, or a work dir inside the state dir', () => {
    for (const [workdir, stateDir] of [
      ['/srv/deploybot', '/srv/deploybot/.state'],
      ['/srv/deploybot', '/srv/deploybot'],
      ['/srv/deploybot', '/srv'],
    ]) {
      expect(() => resolveConfig({ ...base, workdir, stateDir })).toThrow(
        /--state-dir \(or DEPLOYBOT_STATE_DIR\) .* must not contain each other/,
      );
    }
    expect(
      resolveConfig({ ...base, workdir: '/srv/deploybot', stateDir: '/srv/deploybot-state' }).stateDir,
    ).toBe('/srv/deploybot-state');
  });

  it('reads --pass-env as names, refusing DEPLOYBOT_* and anything not a name', () => {
    expect(resolveConfig({ ...base, workdir: '/w', passEnv: ' HTTPS_PROXY, NPM_TOKEN ' }).passEnv).toEqual([
      'HTTPS_PROXY',
      'NPM_TOKEN',
    ]);
    expect(() => resolveConfig({ ...base, workdir: '/w', passEnv: 'DEPLOYBOT_TOKEN' })).toThrow(
      /--pass-env \(or DEPLOYBOT_PASS_ENV\) must be variable names/,
    );
    expect(() => resolveConfig({ ...base, workdir: '/w', passEnv: 'A=b' })).toThrow(/--pass-env/);
  });
});
