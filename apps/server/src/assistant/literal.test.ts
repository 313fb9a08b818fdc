import { describe, expect, it } from 'vitest';
import { blockLiteral, inlineLiteral } from './literal';

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
});
