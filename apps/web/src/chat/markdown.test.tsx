// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Markdown, Placeholder } from './markdown';

const report = '# Fleet health\n\n| agent | status |\n|---|---|\n| web-01 | **online** |';

/** The text a person could see: everything but what is hidden (visibility: hidden, aria-hidden). */
function visibleText(root: Element): string {
  let out = '';
  const walk = (node: Node) => {
    if (node instanceof HTMLElement && (node.style.visibility === 'hidden' || node.ariaHidden === 'true'))
      return;
    if (node.nodeType === Node.TEXT_NODE) out += node.textContent;
    node.childNodes.forEach(walk);
  };
  walk(root);
  return out;
}

describe('Markdown', () => {
  afterEach(cleanup);

  it('keeps the text’s place while loading, hidden from eyes and screen readers', () => {
    const { container } = render(<Placeholder text={report} />);
    const loading = container.querySelector<HTMLElement>('[data-testid="markdown-loading"]');
    expect(loading?.textContent).toBe(report);
    expect(loading?.style.visibility).toBe('hidden');
    expect(loading?.getAttribute('aria-hidden')).toBe('true');
  });

  it('never shows the raw markdown on the way to the rendered report', async () => {
    const container = document.createElement('div');
    document.body.append(container);
    const seen: string[] = [];
    const observer = new MutationObserver(() => seen.push(visibleText(container)));
    observer.observe(container, { childList: true, subtree: true, characterData: true, attributes: true });
    render(<Markdown text={report} />, { container });
    seen.push(visibleText(container));
    // The renderer's chunk (react-markdown, highlight.js) takes a while to load on a busy machine: wait for it.
    expect(await screen.findByRole('heading', { name: 'Fleet health' }, { timeout: 60_000 })).toBeTruthy();
    observer.disconnect();
    expect(container.querySelector('table strong')?.textContent).toBe('online');
    for (const text of seen) expect(text).not.toMatch(/\*\*|\|---|^#/m);
    container.remove();
  }, 90_000);
});
