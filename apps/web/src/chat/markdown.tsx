import { lazy, Suspense } from 'react';

// react-markdown, GFM and highlight.js are their own chunk, kept out of the initial bundle. Its download starts
// when this module loads (the chat and the run view both show markdown at once), not at the first message.
const load = () => import('./markdown-renderer');
const pending = load();
const Renderer = lazy(() => pending);

/**
 * Until the renderer is there, the text keeps its place but is not shown: raw markdown (`**`, `|---|`, `#`)
 * flashing before the report renders reads as a broken page. Screen readers skip it too; they get the rendered
 * text a moment later.
 */
export function Placeholder({ text }: { text: string }) {
  return (
    <div
      className="whitespace-pre-wrap"
      style={{ visibility: 'hidden' }}
      aria-hidden="true"
      data-testid="markdown-loading"
    >
      {text}
    </div>
  );
}

/** Markdown, safely: no raw HTML, only http(s)/mailto links (opening in a new tab), highlighted code. */
export function Markdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<Placeholder text={text} />}>
      <Renderer text={text} />
    </Suspense>
  );
}
