import { diffLines } from 'diff';
import { useMemo } from 'react';

interface Row {
  kind: 'added' | 'removed' | 'same';
  text: string;
  oldLine: number | null;
  newLine: number | null;
}

/** Line by line: every line of both texts once, marked `+` (only in the newer) or `−` (only in the older). */
export function diffRows(older: string, newer: string): Row[] {
  const rows: Row[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const part of diffLines(older, newer)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) rows.push({ kind: 'added', text, oldLine: null, newLine: newLine++ });
      else if (part.removed) rows.push({ kind: 'removed', text, oldLine: oldLine++, newLine: null });
      else rows.push({ kind: 'same', text, oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return rows;
}

const SIGN = { added: '+', removed: '−', same: ' ' } as const;
const TONE = {
  added: 'bg-green-50 text-green-900 dark:bg-green-950 dark:text-green-100',
  removed: 'bg-red-50 text-red-900 dark:bg-red-950 dark:text-red-100',
  same: '',
} as const;

/** The exported YAML of two versions, as a line diff with both line numbers. */
export default function VersionDiff({
  older,
  newer,
  label,
}: {
  older: string;
  newer: string;
  label: string;
}) {
  const rows = useMemo(() => diffRows(older, newer), [older, newer]);
  const added = rows.filter((r) => r.kind === 'added').length;
  const removed = rows.filter((r) => r.kind === 'removed').length;
  return (
    <figure className="flex flex-col gap-1" data-testid="version-diff">
      <figcaption className="text-sm">
        {label}: {added} line{added === 1 ? '' : 's'} added, {removed} removed
        {added + removed === 0 && ' (the same document)'}
      </figcaption>
      <pre
        className="max-h-[28rem] overflow-auto rounded-md border border-slate-200 text-xs dark:border-slate-700"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
      >
        {rows.map((r, i) => (
          <div
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional and never reordered
            key={i}
            className={`flex ${TONE[r.kind]}`}
            data-diff={r.kind}
          >
            <span className="w-10 shrink-0 select-none pr-1 text-right text-slate-600 dark:text-slate-400">
              {r.oldLine ?? ''}
            </span>
            <span className="w-10 shrink-0 select-none pr-1 text-right text-slate-600 dark:text-slate-400">
              {r.newLine ?? ''}
            </span>
            <span className="w-4 shrink-0 select-none font-bold" aria-hidden="true">
              {SIGN[r.kind]}
            </span>
            {r.kind !== 'same' && <span className="sr-only">{r.kind}: </span>}
            <span className="whitespace-pre">{r.text}</span>
          </div>
        ))}
      </pre>
    </figure>
  );
}
