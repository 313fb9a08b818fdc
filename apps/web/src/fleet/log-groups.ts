import type { LogLine } from '@deploybot/shared';

/**
 * A job's log cut at the agent's step boundaries, as GitHub Actions shows it: what came before the first step,
 * one group per manifest step, and what came after the last one.
 */
export interface LogGroup {
  /** Stable across renders while lines arrive: the seq of the group's first line. */
  key: number;
  kind: 'setup' | 'step' | 'finish';
  /** The manifest step's name, or "Set up job" / "Complete job". */
  title: string;
  lines: LogLine[];
  /** `running` while a step has no end marker and no later line; `cancelled` when the job ended it. */
  outcome: 'success' | 'failure' | 'cancelled' | 'running' | null;
  /** Timestamps of the group's first and last lines (the agent's clock). */
  startedAt: string;
  endedAt: string;
  /** Whether the group's end is known (a step's exit line, or any later line). */
  ended: boolean;
}

// The agent's own system lines (apps/agent/src/job-runner.ts): `$ step <name>` opens a step; `exit code N after
// T`, `killed by SIG after T` or `step <name> timed out after …` closes it; `job <status>…` is the job's end.
const STEP_START = /^\$ step (.+)$/;
const STEP_EXIT = /^exit code (-?\d+) after /;
const STEP_KILLED = /^(killed by \S+ after |step .+ timed out after )/;
const JOB_END = /^job (succeeded|success|failed|cancelled)\b/;

function group(kind: LogGroup['kind'], title: string, first: LogLine): LogGroup {
  return {
    key: first.seq,
    kind,
    title,
    lines: [],
    outcome: kind === 'step' ? 'running' : null,
    startedAt: first.at,
    endedAt: first.at,
    ended: kind !== 'step',
  };
}

/** Cuts lines (ordered by seq) into groups; only `system` lines can mark a boundary, never a step's own output. */
export function groupLog(lines: readonly LogLine[]): LogGroup[] {
  const groups: LogGroup[] = [];
  let open: LogGroup | null = null;
  const push = (line: LogLine) => {
    if (!open) {
      open = group(
        groups.length === 0 ? 'setup' : 'finish',
        groups.length === 0 ? 'Set up job' : 'Complete job',
        line,
      );
      groups.push(open);
    }
    open.lines.push(line);
    open.endedAt = line.at;
  };
  for (const line of lines) {
    const system = line.stream === 'system';
    const start = system ? STEP_START.exec(line.line) : null;
    if (start) {
      if (open?.kind === 'step') closeStep(open, 'cancelled');
      open = group('step', start[1] ?? 'step', line);
      groups.push(open);
      push(line);
      continue;
    }
    if (system && open?.kind === 'step' && JOB_END.test(line.line)) {
      // The job ended while the step had no exit line of its own (a cancel, the job's deadline).
      closeStep(open, 'cancelled');
      open = null;
      push(line);
      continue;
    }
    push(line);
    if (!system || open?.kind !== 'step') continue;
    const exit = STEP_EXIT.exec(line.line);
    if (exit) {
      closeStep(open, exit[1] === '0' ? 'success' : 'failure');
      open = null;
    } else if (STEP_KILLED.test(line.line)) {
      closeStep(open, 'failure');
      open = null;
    }
  }
  return groups;
}

function closeStep(g: LogGroup, outcome: LogGroup['outcome']): void {
  g.outcome = outcome;
  g.ended = true;
}

/** `850 ms`, `4.2 s`, `3 m 05 s`, `1 h 02 m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} m ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} m`;
}

/** Milliseconds between two ISO times; `until` null means "still going", measured to `now`. */
export function elapsed(from: string | null, until: string | null, now: number): number | null {
  if (!from) return null;
  const start = Date.parse(from);
  const end = until ? Date.parse(until) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}
