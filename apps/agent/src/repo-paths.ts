import path from 'node:path';
import { repositoryNameSchema } from '@deploybot/shared';

export class UnsafePathError extends Error {}

/**
 * One directory name per repository: `org/app` → `org__app`. The names come from the controller, so they are
 * validated again here (no `..`, no separators beyond the single `/`) rather than trusted. Underscores inside a
 * name are written `_U` so that `a__b/c` and `a/b__c` cannot land in the same directory.
 */
export function repoDirName(repository: string): string {
  const parsed = repositoryNameSchema.safeParse(repository);
  if (!parsed.success) {
    throw new UnsafePathError(
      `refusing repository name ${JSON.stringify(repository)}: must look like org/app`,
    );
  }
  const [org, app] = parsed.data.split('/') as [string, string];
  const name = `${escapeUnderscores(org)}__${escapeUnderscores(app)}`;
  assertSingleSegment(name);
  return name;
}

function escapeUnderscores(part: string): string {
  return part.replaceAll('_', '_U');
}

/** Release directories are named after job ids, which the schema guarantees are UUIDs; checked again anyway. */
export function releaseDirName(jobId: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(jobId)) {
    throw new UnsafePathError(`refusing job id ${JSON.stringify(jobId)} as a directory name`);
  }
  return jobId.toLowerCase();
}

function assertSingleSegment(name: string): void {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0')
  ) {
    throw new UnsafePathError(`refusing ${JSON.stringify(name)} as a directory name`);
  }
}

export interface RepoLayout {
  /** DIR/<repo> */
  root: string;
  /** DIR/<repo>/cache.git: a bare repository that keeps every fetched object, so redeploys fetch little. */
  cache: string;
  /** DIR/<repo>/releases */
  releases: string;
  /** DIR/<repo>/current: a symlink to releases/<job> */
  current: string;
  /** DIR/<repo>/releases.json: when each release was made, which the directory times cannot tell reliably. */
  history: string;
}

export function repoLayout(workdir: string, repository: string): RepoLayout {
  const root = path.join(workdir, repoDirName(repository));
  // Belt and braces: whatever the name rules, the result must sit directly under the work dir.
  if (path.dirname(root) !== path.resolve(workdir))
    throw new UnsafePathError(`${root} is outside ${workdir}`);
  return {
    root,
    cache: path.join(root, 'cache.git'),
    releases: path.join(root, 'releases'),
    current: path.join(root, 'current'),
    history: path.join(root, 'releases.json'),
  };
}
