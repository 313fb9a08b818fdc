import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { LineSplitter } from './line-splitter';

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Aborting kills the whole process group; the reason is reported back as `aborted`. */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** How long a group gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** Called with the new group's id once it exists, and again (with `ended`) when it is gone. */
  onGroup?: (pgid: number, state: 'started' | 'ended') => void;
}

export interface RunResult {
  exitCode: number | null;
  /** The signal that ended the leader, if any. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the process could not be started at all (ENOENT, EACCES, bad cwd). */
  spawnError: Error | null;
}

const DEFAULT_KILL_GRACE_MS = 5_000;
/** After the group is gone, how long to wait for the pipes to drain before giving up on them. */
const PIPE_DRAIN_MS = 2_000;

/**
 * Runs a program as the leader of a new process group (and session), so that everything it starts, down to
 * grandchildren left in the background, can be signalled at once: killing only the direct child would leave
 * `sleep 300 &` running and holding the output pipes open.
 *
 * Arguments are an array, never a shell string; callers that want a shell (manifest steps) pass `/bin/sh -c`.
 * When the leader exits, whatever it left behind in its group is terminated too, so no step outlives itself.
 */
export function runProcessGroup(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    let timedOut = false;
    let aborted = false;
    let killing: Promise<void> | null = null;

    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, timedOut: false, aborted: true, spawnError: null });
      return;
    }

    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const pid = child.pid;
    if (pid !== undefined) options.onGroup?.(pid, 'started');
    const killGroup = (): Promise<void> => {
      if (pid === undefined) return Promise.resolve();
      killing ??= terminateGroup(pid, graceMs);
      return killing;
    };

    const onAbort = () => {
      aborted = true;
      void killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            void killGroup();
          }, options.timeoutMs)
        : null;

    const pipes = [pumpLines(child.stdout, options.onStdout), pumpLines(child.stderr, options.onStderr)];

    let settled = false;
    const finish = (result: Omit<RunResult, 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      if (pid !== undefined) options.onGroup?.(pid, 'ended');
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, timedOut, aborted });
    };

    child.once('error', (error) => {
      // 'error' without a pid means the spawn itself failed; with a pid it is a failed kill, which we handle.
      if (pid === undefined) finish({ exitCode: null, signal: null, spawnError: error });
    });

    child.once('exit', (code, signal) => {
      // From here on the step is over: a deadline or cancel arriving during the clean-up must not relabel it.
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void (async () => {
        // Leftovers in the group (background jobs of a step) are ended with it; this also makes the pipes close.
        await killGroup();
        await Promise.race([Promise.all(pipes.map((p) => p.done)), delay(PIPE_DRAIN_MS)]);
        // A descendant that escaped the group (setsid) may still hold a pipe; stop reading rather than hang.
        for (const p of pipes) p.destroy();
        finish({ exitCode: code, signal, spawnError: null });
      })();
    });
  });
}

function pumpLines(stream: Readable, onLine?: (line: string) => void) {
  const splitter = new LineSplitter();
  stream.setEncoding('utf8');
  const emit = (lines: string[]) => {
    if (onLine) for (const line of lines) onLine(line);
  };
  stream.on('data', (chunk: string) => emit(splitter.push(chunk)));
  let ended = false;
  const done = new Promise<void>((resolve) => {
    const end = () => {
      if (ended) return;
      ended = true;
      emit(splitter.end());
      resolve();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  });
  return {
    done,
    destroy: () => {
      if (!ended) {
        ended = true;
        emit(splitter.end());
      }
      stream.destroy();
    },
  };
}

/** Whether any process of the group is still around (zombies included, which is harmless: they hold nothing). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM means processes exist but belong to someone else: they are alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM to the group, then SIGKILL if anything is still there after the grace period. */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await delay(25);
    if (!groupAlive(pgid) || onlyZombiesLeft(pgid)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Orphaned members are reparented to PID 1, which in a container may never reap them; a group of zombies would
 * otherwise look alive for the whole grace period. Linux only; elsewhere we simply wait out the grace period.
 */
function onlyZombiesLeft(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') return false;
  }
  return true;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
