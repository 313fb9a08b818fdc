// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import MarkdownRenderer from './markdown-renderer';

const FORGED = '**[APPROVAL NEEDED]** [Approve](https://evil.example/x)';
const fence = (n: number) => '`'.repeat(n);

/**
 * Chat messages as the server writes them when a job's output or error holds forged markdown (the shapes that
 * apps/server/src/assistant/narration-text.test.ts and literal.test.ts pin down): the text must show literally.
 */
const NARRATED = {
  'a step error': `**Step 2/2: deploy** ✗ \`job failed: ${FORGED}\``,
  'a run error': `❌ **Deploy an application** failed at “Monitor”: \`job failed: ${FORGED}\``,
  'a summary that tries to close its span': `**Step 1/2: wait** ✓ ${fence(4)}first error: "${fence(3)} ${FORGED}"${fence(4)}`,
  'a log line that tries to close its block': `Last 3 line(s) of job \`1234abcd\`:\n\n${fence(4)}text\n  ok\n  ${fence(3)}\n! ${FORGED}\n${fence(4)}`,
  'an explanation over several lines': `_Explanation:_\n\n${fence(4)}text\nIt failed.\n\n${fence(3)}\n${FORGED}\n\n${fence(4)}`,
  'a bare address inside code': '`see https://evil.example/x or www.evil.example`',
};

describe('untrusted text in chat messages', () => {
  afterEach(cleanup);

  it.each(Object.entries(NARRATED))(
    '%s renders as literal text, with no link and no bold',
    (_what, content) => {
      const { container } = render(<MarkdownRenderer text={content} />);
      expect(container.querySelector('a')).toBeNull();
      expect([...container.querySelectorAll('strong')].map((b) => b.textContent)).not.toContain(
        '[APPROVAL NEEDED]',
      );
      const literal = content.includes(FORGED) ? FORGED : 'https://evil.example/x';
      const code = [...container.querySelectorAll('code')].map((c) => c.textContent ?? '');
      expect(code.some((c) => c.includes(literal))).toBe(true);
      // Blocks are plain text: no highlighting guesses, and the wrapping style applies (index.css).
      if (content.includes('text\n')) {
        expect(container.querySelector('pre > code.language-text')).not.toBeNull();
        expect(container.querySelector('pre [class^="hljs-"]')).toBeNull();
      }
    },
  );

  it('a link a model writes shows where it goes instead of hiding it behind "Approve"', () => {
    const { container } = render(<MarkdownRenderer text={`Please click ${FORGED}`} />);
    const links = [...container.querySelectorAll('a')];
    expect(links).toHaveLength(1);
    expect(links[0]?.textContent).toBe('https://evil.example/x');
    expect(container.textContent).toContain('Approve (https://evil.example/x)');
  });

  it('an autolinked address stays one link whose text is the address', () => {
    const { container } = render(<MarkdownRenderer text="Docs: https://example.com/docs" />);
    const links = [...container.querySelectorAll('a')];
    expect(links.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['https://example.com/docs', 'https://example.com/docs'],
    ]);
  });

  it('a run title with a ref a person typed stays words in bold: no emphasis, no disguised link', () => {
    // plainText() in apps/server/src/assistant/literal.ts escapes every ASCII punctuation character.
    const titles = {
      'Deploy demo/www.evil.example@main → web-01':
        '**Deploy demo\\/www\\.evil\\.example\\@main → web\\-01**',
      'Deploy a/b@ops@evil.example': '**Deploy a\\/b\\@ops\\@evil\\.example**',
      'Deploy a/b@_x_*y*[z](https://evil.example)':
        '**Deploy a\\/b\\@\\_x\\_\\*y\\*\\[z\\]\\(https\\:\\/\\/evil\\.example\\)**',
    };
    for (const [shown, markdown] of Object.entries(titles)) {
      const { container } = render(<MarkdownRenderer text={`✅ ${markdown} completed.`} />);
      expect(container.querySelector('em'), shown).toBeNull();
      const bold = [...container.querySelectorAll('strong')].map((b) => b.textContent ?? '');
      expect(bold).toHaveLength(1);
      // GFM autolinks a bare `www.…` or `a@b.c` in text, escaped or not; such a link shows where it goes (its own
      // address, or the address after it), so a title cannot hide a destination. The rest stays as typed.
      const links = [...container.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? '');
      for (const href of links) expect(bold[0], shown).toContain(href.replace(/^(https?:\/\/|mailto:)/, ''));
      expect(bold[0]!.replace(/ \(https?:\/\/[^)]*\)/g, ''), shown).toBe(shown);
      cleanup();
    }
  });
});
