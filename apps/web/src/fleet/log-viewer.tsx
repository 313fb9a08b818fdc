import type { LogLine } from '@deploybot/shared';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';

const LINE_HEIGHT = 18;
const OVERSCAN = 20;

const STREAM_TONE: Record<LogLine['stream'], string> = {
  stdout: 'text-slate-100',
  stderr: 'text-red-300',
  system: 'text-sky-300',
};

/** Older lines the server still has (a snapshot holds only the newest): how to load them. */
export interface OlderLines {
  loading: boolean;
  load: () => void;
}

/**
 * A windowed log: only the visible lines (plus a margin) are in the DOM, so tens of thousands of lines scroll
 * smoothly. It follows the tail until the person scrolls up, and offers to follow again. Lines are text, never
 * markup. When the server has older lines, a button on top loads them, keeping the view where it was.
 */
export function LogViewer({
  lines,
  height = 320,
  label,
  older,
}: {
  lines: LogLine[];
  height?: number;
  label: string;
  older?: OlderLines;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [following, setFollowing] = useState(true);
  const total = lines.length * LINE_HEIGHT;
  const shownFrom = useRef<{ seq: number | undefined; count: number }>({ seq: undefined, count: 0 });

  // Lines put on top push the view down; move it back by as many lines so the same lines stay in view.
  useLayoutEffect(() => {
    const el = box.current;
    const before = shownFrom.current;
    shownFrom.current = { seq: lines[0]?.seq, count: lines.length };
    if (!el || following || before.seq === undefined || lines[0] === undefined) return;
    if (lines[0].seq < before.seq) {
      const added = lines.findIndex((l) => l.seq === before.seq);
      if (added > 0) {
        el.scrollTop += added * LINE_HEIGHT;
        setScrollTop(el.scrollTop);
      }
    }
  }, [lines, following]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: new lines are the trigger to follow the tail
  useLayoutEffect(() => {
    const el = box.current;
    if (el && following) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [lines, following]);

  useEffect(() => {
    if (lines.length === 0) setFollowing(true);
  }, [lines.length]);

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + height) / LINE_HEIGHT) + OVERSCAN);
  const visible = lines.slice(first, last);

  return (
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
          const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2;
          setFollowing(atBottom);
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
        <div style={{ height: total, position: 'relative' }}>
          <div style={{ position: 'absolute', top: first * LINE_HEIGHT, left: 0, right: 0 }}>
            {visible.map((l) => (
              <div
                key={l.seq}
                className={`px-2 whitespace-pre ${STREAM_TONE[l.stream]}`}
                style={{ height: LINE_HEIGHT, lineHeight: `${LINE_HEIGHT}px` }}
                data-testid="log-line"
              >
                {l.line}
              </div>
            ))}
          </div>
        </div>
        {lines.length === 0 && <p className="absolute inset-0 p-2 text-slate-300">No log lines yet.</p>}
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
  );
}
