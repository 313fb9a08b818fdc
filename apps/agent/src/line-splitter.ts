/** The protocol refuses longer lines; a longer run of output is cut into several lines rather than lost. */
export const MAX_LINE_LENGTH = 16_384;

/**
 * Turns a stream of text chunks into lines. Chunks arrive cut anywhere (mid-line, between `\r` and `\n`), and a
 * process may end without a final newline, so the tail is kept until the next chunk or `end()`.
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly maxLength = MAX_LINE_LENGTH) {}

  push(chunk: string): string[] {
    const lines: string[] = [];
    let text = this.partial + chunk;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      lines.push(...this.cut(stripCr(text.slice(0, nl))));
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    // Without this a process printing megabytes with no newline would grow the buffer without bound.
    while (text.length > this.maxLength) {
      lines.push(text.slice(0, this.maxLength));
      text = text.slice(this.maxLength);
    }
    this.partial = text;
    return lines;
  }

  /** The last, unterminated line, if any. */
  end(): string[] {
    const rest = stripCr(this.partial);
    this.partial = '';
    return rest === '' ? [] : this.cut(rest);
  }

  private cut(line: string): string[] {
    if (line.length <= this.maxLength) return [line];
    const parts: string[] = [];
    for (let i = 0; i < line.length; i += this.maxLength) parts.push(line.slice(i, i + this.maxLength));
    return parts;
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
