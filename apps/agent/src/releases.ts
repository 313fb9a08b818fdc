import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { releaseNameSchema } from '@deploybot/shared';
import { z } from 'zod';
import { unpinRelease } from './git';
import type { RepoLayout } from './repo-paths';

const historySchema = z.object({
  releases: z.array(
    z.object({
      id: z.string(),
      sha: z.string(),
      ref: z.string(),
      createdAt: z.string(),
      /** When `current` last switched to it (a deploy's end, an activation); absent until then. */
      activatedAt: z.string().optional(),
    }),
  ),
});
type History = z.infer<typeof historySchema>;
export type ReleaseRecord = History['releases'][number];

export async function readHistory(layout: RepoLayout): Promise<History> {
  try {
    return historySchema.parse(JSON.parse(await readFile(layout.history, 'utf8')));
  } catch {
    // Missing or damaged: pruning falls back to directory times, which is good enough to recover.
    return { releases: [] };
  }
}

async function writeHistory(layout: RepoLayout, history: History): Promise<void> {
  const tmp = `${layout.history}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(history, null, 2)}\n`);
  await rename(tmp, layout.history);
}

export async function recordRelease(layout: RepoLayout, record: ReleaseRecord): Promise<void> {
  const history = await readHistory(layout);
  history.releases = history.releases.filter((r) => r.id !== record.id);
  history.releases.push(record);
  await writeHistory(layout, history);
}

/** The history's record of one release, if it has one. */
export async function findRelease(layout: RepoLayout, id: string): Promise<ReleaseRecord | null> {
  return (await readHistory(layout)).releases.find((r) => r.id === id) ?? null;
}

/**
 * Notes that `current` now points at release `id`. Pruning keeps releases by when they were last live, not when
 * they were made: after switching back from B to A, A is what a later deploy's undo returns to, so A must outlive
 * B. `record` stands in when the history has lost the release (damaged, or from before the history existed).
 */
export async function markActivated(
  layout: RepoLayout,
  id: string,
  at: string,
  record: Omit<ReleaseRecord, 'activatedAt'>,
): Promise<void> {
  const history = await readHistory(layout);
  const known = history.releases.find((r) => r.id === id);
  history.releases = history.releases.filter((r) => r.id !== id);
  history.releases.push({ ...(known ?? record), activatedAt: at });
  await writeHistory(layout, history);
}

/** The release `current` points to, or null when there is none yet. */
export async function readCurrent(layout: RepoLayout): Promise<string | null> {
  try {
    const target = await readlink(layout.current);
    return path.basename(target);
  } catch {
    return null;
  }
}

/**
 * What `current` pointed at before a switch, as the controller may be told it: what undoing the job goes back
 * to. A `current` the agent did not make (pointed by hand at some other directory) cannot be named as a release.
 */
export function undoableRelease(before: string | null, system: (line: string) => void): string | null {
  if (before === null) return null;
  if (releaseNameSchema.safeParse(before).success) return before;
  system(
    `current pointed at ${before}, which is not a release this agent made: undoing this job cannot go back to it`,
  );
  return null;
}

/**
 * Points `current` at `releases/<name>`. A new symlink is made beside it and renamed over the old one: rename is
 * atomic, so a process resolving `current` sees the old release or the new one, never a missing link. The target
 * is relative so the whole work dir can be moved or mounted elsewhere.
 */
export async function switchCurrent(layout: RepoLayout, releaseName: string): Promise<string> {
  const target = path.join('releases', releaseName);
  const tmp = path.join(layout.root, `.current.${randomBytes(6).toString('hex')}`);
  await symlink(target, tmp);
  try {
    await rename(tmp, layout.current);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new Error(
        `${layout.current} exists and is not a symlink; move it away so the agent can manage it`,
      );
    }
    throw error;
  }
  return target;
}

/**
 * Deletes the releases beyond the `keep` most recently live or made, never the one `current` points to nor any
 * listed in `protect` (a job still running in it). Returns the names removed.
 */
export async function pruneReleases(
  layout: RepoLayout,
  keep: number,
  protect: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(layout.releases);
  } catch {
    return [];
  }
  const history = await readHistory(layout);
  const lastUsed = new Map(
    history.releases.map((r) => [
      r.id,
      Math.max(Date.parse(r.createdAt) || 0, Date.parse(r.activatedAt ?? '') || 0),
    ]),
  );
  const dirs: { name: string; at: number }[] = [];
  for (const name of names) {
    const stat = await lstat(path.join(layout.releases, name)).catch(() => null);
    if (!stat?.isDirectory()) continue;
    dirs.push({ name, at: lastUsed.get(name) ?? stat.mtimeMs });
  }
  dirs.sort((a, b) => b.at - a.at);

  const current = await readCurrent(layout);
  const removed: string[] = [];
  for (const { name } of dirs.slice(keep)) {
    if (name === current || protect.has(name)) continue;
    await rm(path.join(layout.releases, name), { recursive: true, force: true });
    await unpinRelease(layout.cache, name).catch(() => {});
    removed.push(name);
  }
  if (removed.length > 0) {
    history.releases = history.releases.filter((r) => !removed.includes(r.id));
    await writeHistory(layout, history);
  }
  return removed;
}
