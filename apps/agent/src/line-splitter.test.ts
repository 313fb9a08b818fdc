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

  it('cuts over-long lines instead of growing without bound', () => {
    const s = new LineSplitter(4);
    expect(s.push('abcdefghij')).toEqual(['abcd', 'efgh']);
    expect(s.push('k\n')).toEqual(['ijk']);
    expect(s.push('123456789\n')).toEqual(['1234', '5678', '9']);
  });
});
