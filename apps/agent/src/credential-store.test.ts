import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialStore, LEGACY_STATE_FILE } from './credential-store';
import { removeTempDirs, tempDir } from './test-helpers';

afterAll(removeTempDirs);

const CREDENTIAL = 'c'.repeat(48);

describe('CredentialStore', () => {
  it('persists the credential with mode 0600 and keeps configuration beside it', async () => {
    const dir = await tempDir();
    const store = new CredentialStore(dir, 'http://127.0.0.1:4000/', 'web-01');
    expect(await store.credential()).toBeNull();
    await Promise.all([
      store.saveCredential(CREDENTIAL),
      store.saveConfiguration('production', { zone: 'a' }),
    ]);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    const again = new CredentialStore(dir, 'http://127.0.0.1:4000', 'web-01');
    expect(await again.load()).toMatchObject({
      credential: CREDENTIAL,
      environment: 'production',
      labels: { zone: 'a' },
    });
  });

  it('ignores a credential issued for another controller or hostname', async () => {
    const dir = await tempDir();
    await new CredentialStore(dir, 'http://127.0.0.1:4000', 'web-01').saveCredential(CREDENTIAL);
    expect(await new CredentialStore(dir, 'http://127.0.0.1:4001', 'web-01').credential()).toBeNull();
    expect(await new CredentialStore(dir, 'http://127.0.0.1:4000', 'web-02').credential()).toBeNull();
    // Saving for the new pair replaces the old state rather than merging into it.
    const other = new CredentialStore(dir, 'http://127.0.0.1:4001', 'web-01');
    await other.saveConfiguration('staging', {});
    const saved = JSON.parse(await readFile(other.file, 'utf8'));
    expect(saved.credential).toBeUndefined();
    expect(saved.controller).toBe('http://127.0.0.1:4001');
  });

  it('uses a credential issued by any of the controllers the agent dials (they share one database)', async () => {
    const dir = await tempDir();
    await new CredentialStore(dir, 'http://127.0.0.1:4000', 'web-01').saveCredential(CREDENTIAL);
    const both = new CredentialStore(dir, ['http://127.0.0.1:4001', 'http://127.0.0.1:4000/'], 'web-01');
    expect(await both.credential()).toBe(CREDENTIAL);
    // An update keeps the controller that issued it.
    await both.saveConfiguration('staging', {});
    expect(JSON.parse(await readFile(both.file, 'utf8'))).toMatchObject({
      controller: 'http://127.0.0.1:4000',
      credential: CREDENTIAL,
    });
    expect(await new CredentialStore(dir, ['http://127.0.0.1:4001'], 'web-01').credential()).toBeNull();
  });

  it('treats a damaged file as no credential', async () => {
    const dir = await tempDir();
    const store = new CredentialStore(dir, 'http://h:1', 'web-01');
    await writeFile(store.file, '{ not json');
    expect(await store.credential()).toBeNull();
  });

  it('moves the state an older agent kept in its work dir to the state dir, and deletes it there', async () => {
    const workdir = await tempDir();
    const legacy = path.join(workdir, LEGACY_STATE_FILE);
    await writeFile(
      legacy,
      JSON.stringify({
        controller: 'http://h:1',
        hostname: 'web-01',
        credential: CREDENTIAL,
        environment: 'prod',
      }),
      { mode: 0o600 },
    );
    const store = new CredentialStore(await tempDir(), 'http://h:1/', 'web-01');
    expect(await store.adoptLegacy(workdir)).toBe('moved');
    expect(existsSync(legacy)).toBe(false);
    expect(await store.load()).toMatchObject({ credential: CREDENTIAL, environment: 'prod' });
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await store.adoptLegacy(workdir)).toBeNull();

    // State already in the state dir wins; the copy in the work dir is deleted all the same.
    await writeFile(
      legacy,
      JSON.stringify({ controller: 'http://h:1', hostname: 'web-01', credential: 'o'.repeat(40) }),
    );
    expect(await store.adoptLegacy(workdir)).toBe('discarded');
    expect(existsSync(legacy)).toBe(false);
    expect(await store.credential()).toBe(CREDENTIAL);
  });
});
