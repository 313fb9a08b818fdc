import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest, ManifestError, parseManifest } from './manifest';
import { removeTempDirs, tempDir } from './test-helpers';

afterAll(removeTempDirs);

describe('parseManifest', () => {
  it('reads steps, env and keep_releases, with defaults', () => {
    const m = parseManifest(`
env: { NODE_ENV: production, PORT: 8080, DEBUG: false }
keep_releases: 3
steps:
  - name: build
    run: echo building && ./build.sh
    timeout: 120
    env: { TARGET: web }
  - name: migrate
    run: |
      echo one
      echo two
`);
    expect(m.keep_releases).toBe(3);
    expect(m.env).toEqual({ NODE_ENV: 'production', PORT: '8080', DEBUG: 'false' });
    expect(m.steps[0]).toEqual({
      name: 'build',
      run: 'echo building && ./build.sh',
      timeout: 120,
      env: { TARGET: 'web' },
    });
    expect(m.steps[1]).toMatchObject({ name: 'migrate', timeout: 600, env: {} });
  });

  const invalid: [string, string, RegExp][] = [
    ['no steps', 'env: {}', /steps/],
    ['empty steps', 'steps: []', /at least one step/],
    ['a typo in a key', 'steps:\n  - name: a\n    run: x\n    timout: 5', /steps\[0\].*timout/],
    ['a string timeout', 'steps:\n  - name: a\n    run: x\n    timeout: soon', /steps\[0\]\.timeout/],
    [
      'duplicate names',
      'steps:\n  - { name: a, run: x }\n  - { name: a, run: y }',
      /duplicate step name "a"/,
    ],
    ['an empty command', 'steps:\n  - { name: a, run: "  " }', /run must be a non-empty/],
    [
      'a reserved variable',
      'env: { DEPLOYBOT_SHA: x }\nsteps:\n  - { name: a, run: x }',
      /DEPLOYBOT_\* variables/,
    ],
    [
      'a bad variable name',
      'env: { "1X": x }\nsteps:\n  - { name: a, run: x }',
      /environment variable names/,
    ],
    ['broken YAML', 'steps: [ { name: a', /invalid YAML/],
    ['a list at the top', '- a\n- b', /deploybot.yml/],
    ['an empty file', '', /is empty/],
  ];
  it.each(invalid)('refuses %s with a clear message', (_what, text, message) => {
    expect(() => parseManifest(text)).toThrow(ManifestError);
    expect(() => parseManifest(text)).toThrow(message);
  });
});

describe('loadManifest', () => {
  it('reads deploybot.yml from the release root, or says it is missing', async () => {
    const dir = await tempDir();
    await expect(loadManifest(dir)).rejects.toThrow(/no deploybot.yml or deploybot.yaml/);
    await writeFile(path.join(dir, 'deploybot.yml'), 'steps:\n  - { name: hi, run: echo hi }\n');
    const { file, manifest } = await loadManifest(dir);
    expect(file).toBe('deploybot.yml');
    expect(manifest.steps[0]?.name).toBe('hi');
  });

  it('follows a symbolic link to a file inside the release', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'ci'));
    await writeFile(path.join(dir, 'ci', 'deploy.yml'), 'steps:\n  - { name: linked, run: echo hi }\n');
    await symlink('ci/deploy.yml', path.join(dir, 'deploybot.yml'));
    expect((await loadManifest(dir)).manifest.steps[0]?.name).toBe('linked');
  });

  it.each([
    ['a file outside the release', (outside: string) => path.join(outside, 'secret.key')],
    ['a relative path out of the release', () => '../outside/secret.key'],
    ['a device', () => '/dev/zero'],
    ['a missing file', () => 'nowhere.yml'],
  ])(
    'refuses a deploybot.yml that is a symbolic link to %s, quoting nothing of it',
    async (_what, target) => {
      const root = await tempDir();
      const outside = path.join(root, 'outside');
      const dir = path.join(root, 'release');
      await mkdir(outside);
      await mkdir(dir);
      // Valid YAML with a secret in it: even a successful parse must not happen.
      await writeFile(
        path.join(outside, 'secret.key'),
        'steps:\n  - { name: leaked-secret-value, run: x }\n',
      );
      await symlink(target(outside), path.join(dir, 'deploybot.yml'));
      const error = await loadManifest(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as Error).message).toMatch(/deploybot.yml is a symbolic link/);
      expect((error as Error).message).not.toContain('leaked-secret-value');
    },
  );
});
