import { type AnchorHTMLAttributes, Children, isValidElement, type ReactNode } from 'react';
import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkBreaks from 'remark-breaks';
import remarkGfm from 'remark-gfm';
import { safeUrl } from './safe-url';

function textOf(node: ReactNode): string {
  return Children.toArray(node)
    .map((child) =>
      typeof child === 'string' || typeof child === 'number'
        ? String(child)
        : isValidElement<{ children?: ReactNode }>(child)
          ? textOf(child.props.children)
          : '',
    )
    .join('');
}

/**
 * A link shows where it goes: the server never writes links into chat messages, so any link comes from a model
 * (which reads job output); `[Approve](https://elsewhere)` reads "Approve (https://elsewhere)", never a bare
 * "Approve". A link whose text is its address (an autolinked URL) stays as it is.
 */
function Link({
  href,
  children,
  node: _node,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { node?: unknown }) {
  if (!href) return <span>{children}</span>;
  const text = textOf(children).trim();
  const honest = text === href || `mailto:${text}` === href;
  const anchor = (
    <a {...rest} href={href} target="_blank" rel="noopener noreferrer">
      {honest ? children : href}
    </a>
  );
  if (honest) return anchor;
  return (
    <>
      {children} ({anchor})
    </>
  );
}

/**
 * The heavy part of Markdown (lazy-loaded): raw HTML is skipped, never rendered. A single newline is a line break
 * (remark-breaks), as in a chat: people and models write lists and addresses line by line without markdown's
 * two trailing spaces, and CommonMark would otherwise join those lines into one.
 */
export default function MarkdownRenderer({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        skipHtml
        remarkPlugins={[remarkGfm, remarkBreaks]}
        rehypePlugins={[[rehypeHighlight, { detect: true, ignoreMissing: true }]]}
        urlTransform={safeUrl}
        components={{ a: Link }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
