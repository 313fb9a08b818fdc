import { spawn } from 'node:child_process';
import {
  credentialSecrets,
  GIT_ALLOWED_PROTOCOLS,
  gitCredentialEnv,
  type RepositoryCredentials,
  redactCredentials,
} from '@deploybot/shared';
import { DeployBotError } from '../errors/deploybot-error';

/**
 * Environment for every git child: no prompts, and only the transports agents fetch over (never `ext::`, which
 * runs commands, nor unauthenticated `git://`).
 */
export const GIT_ENV = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS.join(':'),
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=10',
};

/**
 * A remote that cannot be reached may answer later (`unavailable`, retryable); a ref it does not have is a bad
 * value in the request (`validation_failed`), which asking again does not change.
 */
export class GitRemoteError extends DeployBotError {
  constructor(
    readonly kind: 'unreachable' | 'ref_not_found',
    message: string,
  ) {
    super(kind === 'unreachable' ? 'unavailable' : 'validation_failed', message);
  }
}

export interface RunGitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Added to GIT_ENV (credentials travel here, never in argv). */
  env?: Record<string, string>;
  /** Literal values to cut from git's message besides URL user-info (the credentials in use). */
  secrets?: readonly string[];
}

/**
 * Runs git with an argument array (never a shell); resolves with stdout or rejects with the first stderr line,
 * credentials removed: the message goes on to job and run errors, events and logs.
 */
export function runGit(args: string[], opts: RunGitOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      env: opts.env ? { ...GIT_ENV, ...opts.env } : GIT_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      timeout: opts.timeoutMs,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(out);
      const reason =
        err.split('\n').find((l) => l.trim()) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new Error(redactCredentials(reason.replace(/^fatal: /, ''), opts.secrets)));
    });
  });
}

/**
 * Resolves a branch, tag or full sha to a commit with `git ls-remote`. A full sha that no ref points at is
 * returned as given: only a fetch can prove it exists, and the agent reports `ref_not_found` if it does not.
 * `url` comes without user-info; `credentials` reach git as an HTTP header in its environment.
 */
export async function resolveRef(
  url: string,
  ref: string,
  opts: { signal?: AbortSignal; timeoutMs?: number; credentials?: RepositoryCredentials | null } = {},
): Promise<{ sha: string; resolvedFrom: string; verified: boolean }> {
  const credentials = opts.credentials ?? null;
  const shown = redactCredentials(url);
  let out: string;
  try {
    out = await runGit(['ls-remote', '--', url], {
      timeoutMs: opts.timeoutMs ?? 30_000,
      signal: opts.signal,
      env: gitCredentialEnv(url, credentials, GIT_ENV),
      secrets: credentialSecrets(credentials),
    });
  } catch (err) {
    throw new GitRemoteError('unreachable', `cannot reach ${shown}: ${(err as Error).message}`);
  }
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) refs.set(name, sha);
  }
  const candidates = [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`, ref];
  for (const name of candidates) {
    const sha = refs.get(name);
    if (sha) return { sha, resolvedFrom: name.replace(/\^\{\}$/, ''), verified: true };
  }
  if (/^[0-9a-f]{40}$/.test(ref)) {
    const tip = [...refs.entries()].find(([, sha]) => sha === ref);
    return {
      sha: ref,
      resolvedFrom: tip ? tip[0].replace(/\^\{\}$/, '') : 'commit sha',
      verified: Boolean(tip),
    };
  }
  const branches = [...refs.keys()]
    .filter((n) => n.startsWith('refs/heads/'))
    .map((n) => n.slice('refs/heads/'.length))
    .slice(0, 10);
  throw new GitRemoteError(
    'ref_not_found',
    `ref "${ref}" not found in ${shown}${branches.length ? ` (branches: ${branches.join(', ')})` : ' (no branches)'}`,
  );
}
