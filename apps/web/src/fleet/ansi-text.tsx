import Anser, { type AnserJsonEntry } from 'anser';

// Anser's basic palette is made for a white page; the log is dark, so its dark colours get lighter twins.
const READABLE: Record<string, string> = {
  '0, 0, 0': '#94a3b8',
  '187, 0, 0': '#f87171',
  '0, 187, 0': '#4ade80',
  '187, 187, 0': '#facc15',
  '0, 0, 187': '#60a5fa',
  '187, 0, 187': '#e879f9',
  '0, 187, 187': '#22d3ee',
  '85, 85, 85': '#94a3b8',
  '85, 85, 255': '#818cf8',
};

const colour = (rgb: string) => (rgb ? (READABLE[rgb] ?? `rgb(${rgb})`) : undefined);

function styleOf(part: AnserJsonEntry): React.CSSProperties {
  const d = part.decorations;
  return {
    color: colour(part.fg),
    backgroundColor: part.bg ? `rgb(${part.bg})` : undefined,
    fontWeight: d.includes('bold') ? 600 : undefined,
    fontStyle: d.includes('italic') ? 'italic' : undefined,
    opacity: d.includes('dim') ? 0.7 : undefined,
    textDecoration: d.includes('underline')
      ? 'underline'
      : d.includes('strikethrough')
        ? 'line-through'
        : undefined,
  };
}

const ESC = '\u001b';

/**
 * A log line with its ANSI colours as styled spans. The text is React text (never HTML), so a line cannot add
 * markup; escape sequences anser does not know are dropped rather than shown.
 */
export function AnsiText({ text }: { text: string }) {
  if (!text.includes(ESC)) return <>{text}</>;
  const parts = Anser.ansiToJson(text, { json: true, remove_empty: true });
  return (
    <>
      {parts.map((part, i) =>
        part.fg || part.bg || part.decorations.length > 0 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one line never reorder
          <span key={i} style={styleOf(part)} data-ansi={part.fg ? `fg ${part.fg}` : 'styled'}>
            {part.content}
          </span>
        ) : (
          part.content
        ),
      )}
    </>
  );
}

/** The line without its escape sequences: what search matches and what a download holds. */
export function stripAnsi(text: string): string {
  return text.includes(ESC) ? Anser.ansiToText(text) : text;
}
