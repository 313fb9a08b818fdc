import { access, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  credentialSecrets,
  gitCredentialEnv,
  type JobFailureCause,
  redactCredentials,
  splitRepositoryUrl,
} from '@deploybot/shared';
import { gitEnv } from './child-env';
import { runProcessGroup } from './process-group';

export class GitError extends Error {
  constructor(
    message: string,
    readonly failure: Extract<JobFailureCause, 'clone_failed' | 'ref_not_found' | 'internal'>,
    /** What git said, for the job log. */
    readonly output: string[] = [],
  ) {
    super(message);
  }
}

/** Thrown when the job was aborted (cancel, timeout, shutdown) while git was running. */
export class GitAborted extends Error {}

export interface GitOptions {
  cwd?: string;
  signal?: AbortSignal;
  killGraceMs?: number;
  /** Added to git's environment (repository credentials travel here, never in argv). */
  env?: Record<string, string>;
}

export interface GitResult {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

/**
 * Defaults every git call gets. The `ext::` transport runs arbitrary commands named in the URL, so it is refused
 * outright even if a host's git configuration allowed it; the URL comes from the controller, not from the operator.
 */
const SAFE_CONFIG = ['-c', 'protocol.ext.allow=never', '-c', 'advice.detachedHead=false'];
const MAX_CAPTURED_LINES = 200;

export async function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const keep = (into: string[]) => (line: string) => {
    into.push(line);
    if (into.length > MAX_CAPTURED_LINES) into.shift();
  };
  const result = await runProcessGroup('git', [...SAFE_CONFIG, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ? { ...gitEnv(), ...options.env } : gitEnv(),
    onStdout: keep(stdout),
    onStderr: keep(stderr),
    signal: options.signal,
    killGraceMs: options.killGraceMs,
  });
  if (result.aborted) throw new GitAborted('git was interrupted');
  if (result.spawnError) throw new GitError(`cannot run git: ${result.spawnError.message}`, 'internal');
  return { code: result.exitCode, stdout, stderr };
}

/** `git version 2.39.5` → `2.39.5`; null when git is not installed. */
export async function gitVersion(): Promise<string | null> {
  try {
    const { code, stdout } = await git(['--version']);
    if (code !== 0) return null;
    const text = stdout.join(' ').trim();
    return (text.replace(/^git version\s+/, '') || text).slice(0, 100);
  } catch {
    return null;
  }
}

/** `https://user:secret@host/x` must not end up in job logs that every operator can read. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export async function ensureCache(cacheDir: string, options: GitOptions = {}): Promise<void> {
  if (await exists(path.join(cacheDir, 'HEAD'))) return;
  const { code, stderr } = await git(['init', '--quiet', '--bare', '--', cacheDir], options);
  if (code !== 0) throw new GitError(`cannot create the cache repository ${cacheDir}`, 'internal', stderr);
}

export async function hasCommit(cacheDir: string, sha: string, options: GitOptions = {}): Promise<boolean> {
  const { code } = await git(['--git-dir', cacheDir, 'cat-file', '-e', `${sha}^{commit}`], options);
  return code === 0;
}

export interface FetchResult {
  /** The commit was already in the cache; nothing was fetched. */
  cached: boolean;
}

/**
 * Brings commit `sha` into the cache. Asking for the sha directly is cheapest, but not every server allows
 * fetching an arbitrary sha; then all branches and tags are fetched and the commit looked up. Only that second
 * fetch tells "the repository is unreachable" (clone_failed) from "it has no such commit" (ref_not_found).
 */
export async function fetchCommit(
  cacheDir: string,
  url: string,
  sha: string,
  options: GitOptions = {},
): Promise<FetchResult> {
  if (await hasCommit(cacheDir, sha, options)) return { cached: true };
  // The controller sends credentials in the URL; git gets them as a header in its environment instead, so
  // they are in no argv (`ps`), no git message and no credential helper.
  const remote = splitRepositoryUrl(url);
  const secrets = credentialSecrets(remote.credentials);
  const auth = { ...options, env: gitCredentialEnv(remote.url, remote.credentials, gitEnv()) };
  const said = (lines: string[]) => lines.map((l) => redactCredentials(l, secrets));

  const direct = await git(
    ['--git-dir', cacheDir, 'fetch', '--quiet', '--force', '--no-tags', '--', remote.url, sha],
    auth,
  );
  if (direct.code === 0 && (await hasCommit(cacheDir, sha, options))) return { cached: false };

  const all = await git(
    [
      '--git-dir',
      cacheDir,
      'fetch',
      '--quiet',
      '--force',
      '--no-tags',
      '--',
      remote.url,
      '+refs/heads/*:refs/remotes/origin/*',
      '+refs/tags/*:refs/tags/*',
    ],
    auth,
  );
  if (all.code !== 0) {
    const reason = lastMeaningfulLine(said(all.stderr)) ?? `git fetch exited with ${all.code}`;
    throw new GitError(`cannot fetch ${redactUrl(remote.url)}: ${reason}`, 'clone_failed', said(all.stderr));
  }
  if (!(await hasCommit(cacheDir, sha, options))) {
    throw new GitError(
      `commit ${sha} not found in ${redactUrl(remote.url)}`,
      'ref_not_found',
      said(direct.stderr),
    );
  }
  return { cached: false };
}

function lastMeaningfulLine(lines: string[]): string | undefined {
  const fatal = lines.find((l) => l.startsWith('fatal:'));
  return (fatal ?? lines.filter((l) => l.trim() !== '').at(-1))?.replace(/^fatal:\s*/, '');
}

function pinRef(releaseName: string): string {
  return `refs/deploybot/releases/${releaseName}`;
}

/**
 * Checks commit `sha` out into `releaseDir` as a clone that borrows the cache's objects (`--shared`), so a
 * release costs the size of its files, not of the history. The cache keeps a ref per release: without it the
 * commit, fetched by sha and on no branch, could be garbage-collected from under the release's `.git`.
 */
export async function createRelease(
  cacheDir: string,
  releaseDir: string,
  sha: string,
  options: GitOptions = {},
): Promise<void> {
  const name = path.basename(releaseDir);
  // A job re-sent after a crash must start from a clean directory, not from a half-written one.
  await rm(releaseDir, { recursive: true, force: true });
  const pin = await git(['--git-dir', cacheDir, 'update-ref', pinRef(name), sha], options);
  if (pin.code !== 0) throw new GitError(`cannot pin ${sha} in the cache`, 'internal', pin.stderr);
  const clone = await git(
    ['clone', '--quiet', '--shared', '--no-checkout', '--', cacheDir, releaseDir],
    options,
  );
  if (clone.code !== 0) throw new GitError(`cannot create release ${releaseDir}`, 'internal', clone.stderr);
  const checkout = await git(['-C', releaseDir, 'checkout', '--quiet', '--detach', sha, '--'], options);
  if (checkout.code !== 0) throw new GitError(`cannot check out ${sha}`, 'internal', checkout.stderr);
}

/** Lets the cache forget a pruned release's commit (unless another ref still holds it). */
export async function unpinRelease(cacheDir: string, releaseName: string): Promise<void> {
  await git(['--git-dir', cacheDir, 'update-ref', '-d', pinRef(releaseName)]);
}
