import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter';

describe('LineSplitter', () => {
  it('joins lines cut across chunks and keeps the unterminated tail until end()', () => {
    const s = new LineSplitter();
    expect(s.push('hel')).toEqual([]);
    expect(s.push('lo\nwor')).toEqual(['hello']);
    expect(s.push('ld\n\nlast')).toEqual(['world', '']);
    expect(s.end()).toEqual(['last']);
    expect(s.end()).toEqual([]);
  });

  it('strips CRLF, even when \\r and \\n arrive in different chunks', () => {
    const s = new LineSplitter();
    expect(s.push('a\r')).toEqual([]);
    expect(s.push('\nb\r\n')).toEqual(['a', 'b']);
  });

  it('keeps the beginning of an over-long line and says how much it dropped, holding no more than the limit', () => {
    const s = new LineSplitter(60);
    const long = 'a'.repeat(50) + 'b'.repeat(50);
    expect(s.push(long.slice(0, 30))).toEqual([]);
    expect(s.push(long.slice(30))).toEqual([]);
    expect(s.push('c'.repeat(1000))).toEqual([]);
    const [line] = s.push('\r\nnext\n').slice(0, 1);
    expect(line).toHaveLength(60);
    const kept = line!.indexOf(' …');
    expect(line!.slice(0, kept)).toBe(long.slice(0, kept));
    expect(line!.slice(kept)).toBe(` … [line truncated: ${1100 - kept} more characters]`);
    expect(s.end()).toEqual([]);
  });

  it('truncates a line that never ends, at end()', () => {
    const s = new LineSplitter(60);
    for (let i = 0; i < 1000; i++) expect(s.push('z'.repeat(1000))).toEqual([]);
    const [line] = s.end();
    expect(line).toMatch(/^z+ … \[line truncated: \d+ more characters\]$/);
    expect(line!.length).toBeLessThanOrEqual(60);
  });

  it('never cuts between the halves of a surrogate pair', () => {
    const s = new LineSplitter(60);
    const [line] = s.push(`${'😀'.repeat(100)}\n`);
    // A lone surrogate would get the whole batch refused by the controller.
    expect(line).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    expect(line).toMatch(/^(😀)+ … \[line truncated: \d+ more characters\]$/);
  });

  it('passes a line of exactly the limit unchanged', () => {
    const s = new LineSplitter(60);
    expect(s.push(`${'q'.repeat(60)}\r\n`)).toEqual(['q'.repeat(60)]);
  });
});
