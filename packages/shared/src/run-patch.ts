import { z } from 'zod';
import type { StepRecord, WorkflowRun } from './workflow';

/**
 * What one transition changed in a run. The controller stores it with the transition's event (so a transition
 * writes what changed, not the whole run) and sends it to clients in place of the run; a client that holds the
 * run at `seq - 1` applies it, any other client refetches. `seq` and `updatedAt` are not in it: they are the
 * event's `seq` and `at`.
 *
 * Values are replaced whole at the level named: a top-level field of the run, a key of its context, a field of
 * one step. `steps` in `set` (the whole step list) is used when steps were added, removed or reordered.
 */
export interface RunPatch {
  /** Top-level fields of the run with their new values. */
  set?: Partial<WorkflowRun>;
  /** Keys of the run's context with their new values. */
  context?: Record<string, unknown>;
  /**
   * Context keys holding an object of which only some keys changed (such as `steps`, every step's data by step
   * id), with those keys' new values: a transition sends the step it changed, not every step's data again.
   */
  contextMerge?: Record<string, Record<string, unknown>>;
  /** Fields of steps (by step id) with their new values. */
  steps?: Record<string, Partial<StepRecord>>;
  /**
   * What the transition removed: `[field]`, `['context', key]`, `['context', key, innerKey]` or
   * `['steps', stepId, field]`.
   */
  unset?: string[][];
}

export const runPatchSchema: z.ZodType<RunPatch> = z.strictObject({
  set: z.record(z.string(), z.unknown()).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  contextMerge: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  steps: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  unset: z.array(z.array(z.string()).min(1).max(3)).optional(),
}) as z.ZodType<RunPatch>;

/** Fields a patch never carries: the event says them. */
const FROM_EVENT = new Set(['seq', 'updatedAt']);

type Json = Record<string, unknown>;

/**
 * Whether two values are the same. The engine builds a run's next state by copying only what changes, so most
 * unchanged values are the same object and compare at once; a rebuilt but equal value costs one deep walk.
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((v, i) => same(v, bs[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Json)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Json)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => same((a as Json)[k], (b as Json)[k]));
}

/** The fields of `next` that differ from `prev`, and those `prev` had that `next` has not. */
function diffFields(
  prev: Json,
  next: Json,
  skip: (key: string) => boolean,
): { changed: Json | null; removed: string[] } {
  let changed: Json | null = null;
  const removed: string[] = [];
  for (const key of Object.keys(next)) {
    if (skip(key)) continue;
    const value = next[key];
    if (value === undefined || same(prev[key], value)) continue;
    changed = changed ?? {};
    changed[key] = value;
  }
  for (const key of Object.keys(prev)) {
    if (!skip(key) && prev[key] !== undefined && next[key] === undefined) removed.push(key);
  }
  return { changed, removed };
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameStepIds(prev: readonly StepRecord[], next: readonly StepRecord[]): boolean {
  return prev.length === next.length && prev.every((s, i) => s.id === next[i]!.id);
}

/** What changed from `prev` to `next` (two states of one run), or null when nothing but seq and time did. */
export function diffRun(prev: WorkflowRun, next: WorkflowRun): RunPatch | null {
  const patch: RunPatch = {};
  const unset: string[][] = [];
  const top = diffFields(
    prev as Json,
    next as Json,
    (k) => FROM_EVENT.has(k) || k === 'context' || k === 'steps',
  );
  if (top.changed) patch.set = top.changed as Partial<WorkflowRun>;
  for (const key of top.removed) unset.push([key]);

  if (prev.context !== next.context) {
    const ctx = diffFields(prev.context, next.context, () => false);
    for (const [key, value] of Object.entries(ctx.changed ?? {})) {
      const before = prev.context[key];
      if (isPlainObject(before) && isPlainObject(value)) {
        const inner = diffFields(before, value, () => false);
        if (inner.changed) patch.contextMerge = { ...patch.contextMerge, [key]: inner.changed };
        for (const innerKey of inner.removed) unset.push(['context', key, innerKey]);
      } else {
        patch.context = { ...patch.context, [key]: value };
      }
    }
    for (const key of ctx.removed) unset.push(['context', key]);
  }

  if (prev.steps !== next.steps) {
    if (!sameStepIds(prev.steps, next.steps)) {
      patch.set = { ...patch.set, steps: next.steps };
    } else {
      next.steps.forEach((step, i) => {
        const before = prev.steps[i]!;
        if (before === step) return;
        const s = diffFields(before as Json, step as Json, () => false);
        if (s.changed) patch.steps = { ...patch.steps, [step.id]: s.changed as Partial<StepRecord> };
        for (const key of s.removed) unset.push(['steps', step.id, key]);
      });
    }
  }
  if (unset.length > 0) patch.unset = unset;
  return patch.set || patch.context || patch.contextMerge || patch.steps || patch.unset ? patch : null;
}

/** Why a patch does not fit the run it was applied to: the holder refetches the run. */
export class RunPatchMismatch extends Error {}

/**
 * The run after the transition `event` (seq `run.seq + 1`) that changed it by `patch`. Returns new objects for
 * what changed and shares the rest, so a UI store sees which steps changed by identity.
 */
export function applyRunPatch(
  run: WorkflowRun,
  event: { seq: number; at: string },
  patch: RunPatch | null,
): WorkflowRun {
  if (event.seq !== run.seq + 1)
    throw new RunPatchMismatch(`run ${run.id}: patch for seq ${event.seq} on a run at seq ${run.seq}`);
  const next: WorkflowRun = { ...run, ...patch?.set, seq: event.seq, updatedAt: event.at };
  if (patch?.context || patch?.contextMerge) {
    const context = { ...run.context, ...patch.context };
    for (const [key, changes] of Object.entries(patch.contextMerge ?? {})) {
      const before = run.context[key];
      if (!isPlainObject(before))
        throw new RunPatchMismatch(
          `run ${run.id}: patch for seq ${event.seq} merges into context.${key}, not an object`,
        );
      context[key] = { ...before, ...changes };
    }
    next.context = context;
  }
  if (patch?.steps) {
    const changes = patch.steps;
    let found = 0;
    next.steps = next.steps.map((step) => {
      const change = changes[step.id];
      if (!change) return step;
      found += 1;
      return { ...step, ...change };
    });
    if (found !== Object.keys(changes).length)
      throw new RunPatchMismatch(`run ${run.id}: patch for seq ${event.seq} names a step it does not have`);
  }
  for (const path of patch?.unset ?? []) unsetPath(next, path);
  return next;
}

function unsetPath(run: WorkflowRun, path: readonly string[]): void {
  const [head, key, field] = path;
  if (path.length === 1) {
    delete (run as Json)[head!];
  } else if (head === 'context' && path.length === 2) {
    const context = { ...run.context };
    delete context[key!];
    run.context = context;
  } else if (head === 'context' && path.length === 3) {
    const inner = run.context[key!];
    if (!isPlainObject(inner)) return;
    const copy = { ...inner };
    delete copy[field!];
    run.context = { ...run.context, [key!]: copy };
  } else if (head === 'steps' && path.length === 3) {
    run.steps = run.steps.map((step) => {
      if (step.id !== key) return step;
      const copy = { ...step } as Json;
      delete copy[field!];
      return copy as StepRecord;
    });
  } else {
    throw new RunPatchMismatch(`run ${run.id}: cannot remove ${path.join('.')}`);
  }
}
