import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { legacyDataDir, REPO_ROOT, resolveDataDir } from './data-dir';

describe('data directory', () => {
  it('defaults to data/ at the repository root whatever the working directory', () => {
    expect(resolveDataDir(undefined, {})).toBe(join(REPO_ROOT, 'data'));
    expect(loadConfig({ INIT_CWD: '/somewhere/else' })).toMatchObject({
      dataDir: join(REPO_ROOT, 'data'),
      dataDirDefaulted: true,
    });
  });

  it('takes a relative DEPLOYBOT_DATA_DIR from where the command ran (pnpm sets INIT_CWD), memory:// as is', () => {
    expect(resolveDataDir('./mine', { INIT_CWD: '/srv/deploybot' })).toBe('/srv/deploybot/mine');
    expect(resolveDataDir('/var/lib/deploybot', { INIT_CWD: '/srv' })).toBe('/var/lib/deploybot');
    expect(resolveDataDir('memory://', {})).toBe('memory://');
    expect(loadConfig({ DEPLOYBOT_DATA_DIR: 'x', INIT_CWD: '/tmp' })).toMatchObject({
      dataDir: '/tmp/x',
      dataDirDefaulted: false,
    });
  });

  it("keeps using an earlier version's apps/server/data only when the default is used and still absent", () => {
    const dataDir = join(REPO_ROOT, 'data');
    const legacy = join(REPO_ROOT, 'apps', 'server', 'data');
    const only =
      (...paths: string[]) =>
      (path: string) =>
        paths.includes(path);
    const found = legacyDataDir(dataDir, true, only(join(legacy, 'pgdata')));
    expect(found?.dir).toBe(legacy);
    expect(found?.advice).toContain('mv apps/server/data data');
    expect(legacyDataDir(dataDir, true, only(dataDir, join(legacy, 'pgdata')))).toBeNull();
    expect(legacyDataDir(dataDir, false, only(join(legacy, 'pgdata')))).toBeNull();
    expect(legacyDataDir(dataDir, true, only(join(legacy, 'secret.key')))?.dir).toBe(legacy);
    expect(legacyDataDir(dataDir, true, only(legacy))).toBeNull();
  });
});
