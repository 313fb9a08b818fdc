import type { LogLine } from '@deploybot/shared';
import { stripAnsi } from './ansi-text';
import type { LogGroup } from './log-groups';

/** One fixed-height row of the windowed log: a step's header or one of its lines. */
export type LogRow = { kind: 'group'; group: LogGroup; matches: number } | { kind: 'line'; line: LogLine };

/**
 * The rows to show: every group's header, and the lines of the groups not collapsed. A search shows only the
 * matching lines (case-insensitive, colours ignored), under the headers of the groups that hold them.
 */
export function logRows(
  groups: readonly LogGroup[],
  collapsed: ReadonlySet<number>,
  query: string,
): LogRow[] {
  const rows: LogRow[] = [];
  const q = query.trim().toLowerCase();
  for (const group of groups) {
    if (!q) {
      rows.push({ kind: 'group', group, matches: 0 });
      if (!collapsed.has(group.key)) for (const line of group.lines) rows.push({ kind: 'line', line });
      continue;
    }
    const hits = group.lines.filter((l) => stripAnsi(l.line).toLowerCase().includes(q));
    if (hits.length === 0) continue;
    rows.push({ kind: 'group', group, matches: hits.length });
    for (const line of hits) rows.push({ kind: 'line', line });
  }
  return rows;
}
