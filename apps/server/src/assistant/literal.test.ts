import { describe, expect, it } from 'vitest';
import { blockLiteral, inlineLiteral, plainText } from './literal';

const FORGED = '**[APPROVAL NEEDED]** [Approve](https://evil.example/x)';

describe('literal text in chat markdown', () => {
  it('a code span whose fence is longer than any backtick run in the text', () => {
    expect(inlineLiteral(FORGED)).toBe(`\`${FORGED}\``);
    expect(inlineLiteral(`a \`b\` c ${FORGED}`)).toBe(`\`\`a \`b\` c ${FORGED}\`\``);
    expect(inlineLiteral('```x``')).toBe('```` ```x`` ````');
    expect(inlineLiteral('` x `')).toBe('`` ` x ` ``');
  });

  it('line breaks cannot end the span: all whitespace becomes one space, long text is cut', () => {
    expect(inlineLiteral(`ok\n\n${FORGED}\r\n# title\t x`)).toBe(`\`ok ${FORGED} # title x\``);
    expect(inlineLiteral('x'.repeat(600), 10)).toBe(`\`${'x'.repeat(9)}…\``);
    expect(inlineLiteral(null)).toBe('');
    expect(inlineLiteral('  ')).toBe('');
  });

  it('a fenced plain-text block the text cannot close', () => {
    expect(blockLiteral(FORGED)).toBe(`\`\`\`text\n${FORGED}\n\`\`\``);
    expect(blockLiteral(`a\r\n\`\`\`\n${FORGED}\r\`\`\`\`\``)).toBe(
      `\`\`\`\`\`\`text\na\n\`\`\`\n${FORGED}\n\`\`\`\`\`\n\`\`\`\`\`\``,
    );
  });

  it('plain words in markdown: every ASCII punctuation escaped (the shapes the web test renders)', () => {
    expect(plainText('Deploy demo/www.evil.example@main → web-01')).toBe(
      'Deploy demo\\/www\\.evil\\.example\\@main → web\\-01',
    );
    expect(plainText('Deploy a/b@ops@evil.example')).toBe('Deploy a\\/b\\@ops\\@evil\\.example');
    expect(plainText('Deploy a/b@_x_*y*[z](https://evil.example)')).toBe(
      'Deploy a\\/b\\@\\_x\\_\\*y\\*\\[z\\]\\(https\\:\\/\\/evil\\.example\\)',
    );
    expect(plainText('Check system health')).toBe('Check system health');
    expect(plainText('a\n\n# b', 4)).toBe('a \\#…');
  });
});
