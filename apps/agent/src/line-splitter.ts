import { LOG_LINE_MAX_CHARS } from '@deploybot/shared';

/** The protocol refuses longer lines. */
export const MAX_LINE_LENGTH = LOG_LINE_MAX_CHARS;

/**
 * Turns a stream of text chunks into lines. Chunks arrive cut anywhere (mid-line, between `\r` and `\n`), and a
 * process may end without a final newline, so the tail is kept until the next chunk or `end()`.
 *
 * A line longer than `maxLength` keeps its beginning and ends with a marker saying how much was dropped: a
 * minified bundle or a progress bar printed without newlines would otherwise fill the log (and memory) with
 * pieces nobody reads. Only `maxLength` characters of a line are ever held.
 */
export class LineSplitter {
  private partial = '';
  /** Characters of the current line dropped past `maxLength`. */
  private dropped = 0;
  private lastWasCr = false;

  constructor(private readonly maxLength = MAX_LINE_LENGTH) {}

  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      this.append(nl === -1 ? chunk.slice(start) : chunk.slice(start, nl));
      if (nl === -1) return lines;
      lines.push(this.finish());
      start = nl + 1;
    }
  }

  /** The last, unterminated line, if any. */
  end(): string[] {
    if (this.partial === '' && this.dropped === 0) return [];
    const line = this.finish();
    return line === '' ? [] : [line];
  }

  private append(piece: string): void {
    if (piece === '') return;
    this.lastWasCr = piece.endsWith('\r');
    const room = this.maxLength - this.partial.length;
    if (this.dropped === 0 && piece.length <= room) {
      this.partial += piece;
    } else {
      const kept = Math.max(0, room);
      this.partial += piece.slice(0, kept);
      this.dropped += piece.length - kept;
    }
  }

  private finish(): string {
    let line = this.partial;
    let dropped = this.dropped;
    // A CRLF line ending is not part of the line, whether its \r was kept or dropped.
    if (this.lastWasCr) {
      if (dropped > 0) dropped--;
      else line = line.slice(0, -1);
    }
    this.partial = '';
    this.dropped = 0;
    this.lastWasCr = false;
    return dropped === 0 ? line : truncated(line, dropped, this.maxLength);
  }
}

/** `line` cut to leave room for the marker within `maxLength`, never between the halves of a surrogate pair. */
function truncated(line: string, dropped: number, maxLength: number): string {
  const marker = (n: number) => ` … [line truncated: ${n} more characters]`;
  let keep = Math.max(0, maxLength - marker(dropped + line.length).length);
  const code = line.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--;
  return `${line.slice(0, keep)}${marker(dropped + line.length - keep)}`.slice(0, maxLength);
}
