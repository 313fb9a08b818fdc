import type { LogLine } from '@deploybot/shared';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { LogGroupHeader } from './log-group-header';
import { groupLog } from './log-groups';
import { LogLineRow } from './log-line-row';
import { type LogRow, logRows } from './log-rows';
import { LogToolbar } from './log-toolbar';

/** Every row (step header or line) has this height, which is what lets the log be windowed. */
export const ROW_HEIGHT = 20;
const OVERSCAN = 20;

/** Older lines the server still has (a snapshot holds only the newest): how to load them. */
export interface OlderLines {
  loading: boolean;
  load: () => void;
}

const rowKey = (r: LogRow) => (r.kind === 'group' ? `g${r.group.key}` : `l${r.line.seq}`);

/**
 * A job's log grouped by manifest step, GitHub Actions style: each step a collapsible header with its duration,
 * each line with its number, time and ANSI colours. Windowed (only the visible rows are in the DOM) so tens of
 * thousands of lines scroll smoothly; it follows the tail until the person scrolls up or unticks Follow. A search
 * shows only the matching lines. Lines are text, never markup.
 */
export function LogViewer({
  lines,
  height = 320,
  label,
  older,
  live = false,
  download,
}: {
  lines: LogLine[];
  height?: number;
  label: string;
  older?: OlderLines;
  /** The job is still running: the open step's duration ticks. */
  live?: boolean;
  /** Saves the whole log (all pages from the server), when offered. */
  download?: () => Promise<void>;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [following, setFollowing] = useState(true);
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(new Set());
  const groups = useMemo(() => groupLog(lines), [lines]);
  const rows = useMemo(() => logRows(groups, collapsed, query), [groups, collapsed, query]);
  const shownFrom = useRef<{ key: string | undefined }>({ key: undefined });

  // Rows put on top (older lines loaded) push the view down; move it back so the same rows stay in view.
  useLayoutEffect(() => {
    const el = box.current;
    const before = shownFrom.current.key;
    shownFrom.current = { key: rows[0] ? rowKey(rows[0]) : undefined };
    if (!el || following || before === undefined) return;
    const added = rows.findIndex((r) => rowKey(r) === before);
    if (added > 0) {
      el.scrollTop += added * ROW_HEIGHT;
      setScrollTop(el.scrollTop);
    }
  }, [rows, following]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: new rows are the trigger to follow the tail
  useLayoutEffect(() => {
    const el = box.current;
    if (el && following) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [rows, following]);

  useEffect(() => {
    if (lines.length === 0) setFollowing(true);
  }, [lines.length]);

  const toggle = (key: number) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const matches = query.trim() ? rows.filter((r) => r.kind === 'line').length : null;
  const lastGroupKey = groups.at(-1)?.key;

  return (
    <div className="flex flex-col gap-1">
      <LogToolbar
        label={label}
        query={query}
        onQuery={setQuery}
        matches={matches}
        following={following}
        onFollow={setFollowing}
        download={download}
      />
      <div className="relative">
        <div
          ref={box}
          role="log"
          aria-label={label}
          aria-live="off"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable to scroll it by keyboard
          tabIndex={0}
          className="overflow-auto rounded-md bg-slate-950 font-mono text-xs"
          style={{ height }}
          data-testid="log-viewer"
          data-line-count={lines.length}
          onScroll={(e) => {
            const el = e.currentTarget;
            setScrollTop(el.scrollTop);
            setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT * 2);
          }}
        >
          {older && (
            <button
              type="button"
              className="w-full bg-slate-800 px-2 py-1 text-left text-slate-200 hover:bg-slate-700"
              disabled={older.loading}
              onClick={older.load}
              data-testid="log-load-older"
            >
              {older.loading ? 'Loading earlier lines…' : 'Load earlier lines ↑'}
            </button>
          )}
          <div style={{ height: rows.length * ROW_HEIGHT, position: 'relative' }}>
            <div style={{ position: 'absolute', top: first * ROW_HEIGHT, left: 0, right: 0 }}>
              {rows
                .slice(first, last)
                .map((row) =>
                  row.kind === 'group' ? (
                    <LogGroupHeader
                      key={rowKey(row)}
                      group={row.group}
                      open={query.trim() !== '' || !collapsed.has(row.group.key)}
                      matches={query.trim() ? row.matches : null}
                      live={live && row.group.key === lastGroupKey}
                      onToggle={() => toggle(row.group.key)}
                    />
                  ) : (
                    <LogLineRow key={rowKey(row)} line={row.line} />
                  ),
                )}
            </div>
          </div>
          {lines.length === 0 && <p className="absolute inset-0 p-2 text-slate-300">No log lines yet.</p>}
          {lines.length > 0 && matches === 0 && (
            <p className="absolute inset-x-0 top-0 p-2 text-slate-300">No line matches “{query.trim()}”.</p>
          )}
        </div>
        {!following && (
          <button
            type="button"
            className="btn btn-primary absolute right-3 bottom-3 text-xs shadow"
            onClick={() => setFollowing(true)}
          >
            Follow log ↓
          </button>
        )}
      </div>
    </div>
  );
}
