// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import MarkdownRenderer from './markdown-renderer';

describe('MarkdownRenderer', () => {
  afterEach(cleanup);

  it('never renders raw HTML', () => {
    const { container } = render(
      <MarkdownRenderer text={'hi <img src=x onerror="alert(1)"> <script>alert(2)</script>'} />,
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
  });

  it('opens safe links in a new tab and drops unsafe ones', () => {
    const { container } = render(
      <MarkdownRenderer text={'[ok](https://example.com) [bad](javascript:alert(1))'} />,
    );
    const links = container.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]?.getAttribute('href')).toBe('https://example.com');
    expect(links[0]?.getAttribute('target')).toBe('_blank');
    expect(links[0]?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(container.textContent).toContain('bad');
  });

  it('highlights fenced code', () => {
    const { container } = render(<MarkdownRenderer text={'```js\nconst a = 1;\n```'} />);
    expect(container.querySelector('code.hljs, code.language-js')).not.toBeNull();
    expect(container.querySelector('.hljs-keyword')?.textContent).toBe('const');
  });

  it('keeps single line breaks as breaks, not inside code', () => {
    const { container } = render(<MarkdownRenderer text={'first line\nsecond line\n\n```\na\nb\n```'} />);
    const p = container.querySelector('p');
    expect(p?.querySelectorAll('br')).toHaveLength(1);
    expect(p?.textContent).toBe('first line\nsecond line');
    expect(container.querySelector('pre br')).toBeNull();
    expect(container.querySelector('pre')?.textContent).toBe('a\nb\n');
  });
});
