import type { z } from 'zod';
import type { ValuePath } from './expressions';

/** zod's issues as the compiler reports them: a path into the document and a message. */

export interface FlatIssue {
  at: Array<string | number>;
  code: string;
  message: string;
}

type ZodIssue = z.core.$ZodIssue;

/** Flattens zod's issues: one per unknown key, and a union's branch that matched the shape rather than "invalid input". */
export function zodIssues(issues: readonly ZodIssue[], prefix: Array<string | number>): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const issue of issues) {
    const at = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ at: [...at, key], code: issue.code, message: `unknown field "${key}"` });
      continue;
    }
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors)) {
      const branches = issue.errors as ZodIssue[][];
      const shaped = branches.filter((b) =>
        b.some((i) => i.path.length > 0 || i.code === 'unrecognized_keys'),
      );
      if (shaped.length > 0) {
        out.push(...zodIssues(shaped[0]!, at));
        continue;
      }
      const expected = branches.flatMap((b) =>
        b.map((i) =>
          i.code === 'invalid_type'
            ? i.expected
            : i.code === 'invalid_value'
              ? i.values.map((v) => JSON.stringify(v)).join(' or ')
              : i.message,
        ),
      );
      out.push({ at, code: issue.code, message: `expected ${[...new Set(expected)].join(' or ')}` });
      continue;
    }
    out.push({ at, code: issue.code, message: issue.message });
  }
  return out;
}

export function isPrefix(prefix: ValuePath, path: ValuePath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

export function valueAt(value: unknown, path: ValuePath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** A copy with the values at `paths` replaced by undefined (absent to the schema). */
export function withoutPaths(value: Record<string, unknown>, paths: ValuePath[]): Record<string, unknown> {
  if (paths.length === 0) return value;
  const copy = structuredClone(value);
  for (const path of paths) {
    if (path.length === 0) continue;
    const parent = valueAt(copy, path.slice(0, -1));
    if (parent !== null && typeof parent === 'object')
      (parent as Record<string | number, unknown>)[path.at(-1)!] = undefined;
  }
  return copy;
}
