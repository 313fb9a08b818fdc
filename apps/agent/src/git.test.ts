import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRelease, ensureCache, fetchCommit, GitError, gitVersion, redactUrl } from './git';
import { gitSync, makeRepo, removeTempDirs, tempDir } from './test-helpers';

afterAll(removeTempDirs);

async function cacheIn(dir: string): Promise<string> {
  const cache = path.join(dir, 'cache.git');
  await ensureCache(cache);
  return cache;
}

describe('git', () => {
  it('knows its version', async () => {
    expect(await gitVersion()).toMatch(/^\d+\.\d+/);
  });

  it('fetches a commit that is not the branch tip and checks it out into a release', async () => {
    const repo = await makeRepo({ 'app.txt': 'v1\n' });
    const first = repo.sha;
    await repo.commit({ 'app.txt': 'v2\n' });
    const work = await tempDir();
    const cache = await cacheIn(work);

    expect(await fetchCommit(cache, repo.dir, first)).toEqual({ cached: false });
    const release = path.join(work, 'releases', '00000000-0000-4000-8000-000000000001');
    await createRelease(cache, release, first);
    expect(await readFile(path.join(release, 'app.txt'), 'utf8')).toBe('v1\n');
    expect(gitSync(release, ['rev-parse', 'HEAD'])).toBe(first);
    // The cache pins the release's commit so garbage collection cannot take it.
    expect(
      gitSync(work, ['--git-dir', cache, 'rev-parse', `refs/deploybot/releases/${path.basename(release)}`]),
    ).toBe(first);
    // Second time round it is already there.
    expect(await fetchCommit(cache, repo.dir, first)).toEqual({ cached: true });
  });

  it('says ref_not_found when the repository is reachable but lacks the commit', async () => {
    const repo = await makeRepo({ 'a.txt': 'a' });
    const cache = await cacheIn(await tempDir());
    const missing = 'deadbeef'.repeat(5);
    const error = await fetchCommit(cache, repo.dir, missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect(error).toMatchObject({ failure: 'ref_not_found' });
    expect((error as Error).message).toContain(missing);
  });

  it('says clone_failed when the URL cannot be fetched at all', async () => {
    const cache = await cacheIn(await tempDir());
    const error = await fetchCommit(cache, '/nonexistent/repo.git', 'a'.repeat(40)).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'clone_failed' });
    expect((error as Error).message).toMatch(
      /cannot fetch \/nonexistent\/repo.git: .*not appear to be a git repository/,
    );
  });

  it('never lets a URL act as an option or run a command', async () => {
    const work = await tempDir();
    const cache = await cacheIn(work);
    const marker = path.join(work, 'pwned');
    for (const url of [`--upload-pack=touch ${marker}`, `ext::sh -c touch% ${marker}`]) {
      await expect(fetchCommit(cache, url, 'a'.repeat(40))).rejects.toMatchObject({
        failure: 'clone_failed',
      });
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('fetches only over the allowed transports: git:// is refused, whatever the host allows', async () => {
    const cache = await cacheIn(await tempDir());
    const error = await fetchCommit(cache, 'git://127.0.0.1:9/demo/app.git', 'a'.repeat(40)).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ failure: 'clone_failed' });
    expect((error as Error).message).toMatch(/transport 'git' not allowed/);
  });

  it('hides credentials in URLs', () => {
    expect(redactUrl('https://user:s3cret@git.example.com/a.git')).toBe('https://***@git.example.com/a.git');
    expect(redactUrl('/srv/git/a.git')).toBe('/srv/git/a.git');
  });
});
