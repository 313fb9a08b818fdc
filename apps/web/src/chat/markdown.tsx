import { lazy, Suspense } from 'react';

// react-markdown, GFM and highlight.js load on first use, keeping them out of the initial bundle.
const Renderer = lazy(() => import('./markdown-renderer'));

/** Markdown, safely: no raw HTML, only http(s)/mailto links (opening in a new tab), highlighted code. */
export function Markdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<div className="whitespace-pre-wrap">{text}</div>}>
      <Renderer text={text} />
    </Suspense>
  );
}
