import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseDirName, repoDirName, repoLayout, UnsafePathError } from './repo-paths';

describe('repoDirName', () => {
  it('turns org/app into one path segment', () => {
    expect(repoDirName('demo/hello-app')).toBe('demo__hello-app');
    expect(repoDirName('acme.io/web.v2')).toBe('acme.io__web.v2');
  });

  it('keeps names with underscores apart', () => {
    expect(repoDirName('a__b/c')).not.toBe(repoDirName('a/b__c'));
    expect(repoDirName('my_org/my_app')).toBe('my_Uorg__my_Uapp');
  });

  it.each([
    '../etc',
    'demo/..',
    'demo/../../etc',
    '../../etc/passwd',
    '/etc/passwd',
    'demo/a/b',
    'demo\\..\\x',
    'demo',
    '',
    'demo/.hidden',
    'Demo/App',
    'demo/app\0',
    '-rf/x',
  ])('refuses %j', (name) => {
    expect(() => repoDirName(name)).toThrow(UnsafePathError);
  });
});

describe('repoLayout and releaseDirName', () => {
  it('places everything directly under the work dir', () => {
    const layout = repoLayout('/srv/deploybot', 'demo/hello-app');
    expect(layout.root).toBe('/srv/deploybot/demo__hello-app');
    expect(layout.current).toBe(path.join(layout.root, 'current'));
    expect(layout.cache).toBe(path.join(layout.root, 'cache.git'));
  });

  it('accepts only UUIDs as release names', () => {
    expect(releaseDirName('6F9619FF-8B86-4011-B42D-00C04FC964FF')).toBe(
      '6f9619ff-8b86-4011-b42d-00c04fc964ff',
    );
    expect(() => releaseDirName('../x')).toThrow(UnsafePathError);
    expect(() => releaseDirName('a/b')).toThrow(UnsafePathError);
  });
});
