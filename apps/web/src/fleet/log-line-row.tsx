import type { LogLine } from '@deploybot/shared';
import { AnsiText } from './ansi-text';

const STREAM_TONE: Record<LogLine['stream'], string> = {
  stdout: 'text-slate-100',
  stderr: 'text-red-300',
  system: 'text-sky-300',
};

/** `14:03:27.512`, local time: lines of one job are seconds apart, so the date would be noise. */
function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One log line: its number in the job's log (seq + 1), its time, and its text with ANSI colours. */
export function LogLineRow({ line }: { line: LogLine }) {
  return (
    <div
      className={`flex gap-3 px-2 whitespace-pre hover:bg-slate-900 ${STREAM_TONE[line.stream]}`}
      style={{ height: 20, lineHeight: '20px' }}
      data-testid="log-line"
      data-seq={line.seq}
      data-stream={line.stream}
    >
      <span className="w-12 shrink-0 text-right text-slate-400 select-none" data-testid="log-line-number">
        {line.seq + 1}
      </span>
      <time className="shrink-0 text-slate-400 select-none" dateTime={line.at} data-testid="log-line-time">
        {clock(line.at)}
      </time>
      <span data-testid="log-line-text">
        <AnsiText text={line.line} />
      </span>
    </div>
  );
}
