/**
 * Untrusted text (job logs and errors, step summaries and errors, notes, model-written explanations, anything a
 * repository or an agent can influence) inside chat markdown, shown exactly as written: in a code span or a
 * fenced code block whose fence is longer than any run of backticks in the text, so the text can neither close
 * it nor be read as markdown (no bold, no links, no autolinked URLs).
 */

const longestBacktickRun = (text: string): number =>
  Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));

/**
 * One line of code span. Whitespace runs (line breaks included) become one space: a line break could end the
 * paragraph the span sits in and let the rest be read as markdown. Longer text is cut at `max` characters.
 */
export function inlineLiteral(value: unknown, max = 500): string {
  const text = String(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return '';
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  const fence = '`'.repeat(longestBacktickRun(cut) + 1);
  // A backtick at either end would join the fence; a space on both sides keeps it apart and is not rendered.
  const pad = cut.startsWith('`') || cut.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${cut}${pad}${fence}`;
}

/** A fenced block of plain text (no highlighting), on lines of its own; line breaks are kept. */
export function blockLiteral(value: unknown): string {
  const text = String(value ?? '').replace(/\r\n?/g, '\n');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${fence}text\n${text}\n${fence}`;
}

/**
 * Text shown as ordinary words inside chat markdown, e.g. a run title in bold (it holds a ref and a host name
 * exactly as someone typed them): every ASCII punctuation character is escaped, so nothing in it becomes
 * emphasis, a link, or an autolinked address (`www.example.com`, `user@host`, `https://…`). One line, cut at
 * `max` characters.
 */
export function plainText(value: unknown, max = 200): string {
  const text = String(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}
