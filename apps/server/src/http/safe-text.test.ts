import { describe, expect, it } from 'vitest';
import { findUnsafeText, MAX_NESTING_DEPTH } from './safe-text';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('findUnsafeText', () => {
  it('finds NUL bytes and lone surrogates in values and keys, naming the first in document order', () => {
    expect(findUnsafeText({ a: 'ok', b: ['x', 'bad\u0000'], c: 'bad\u0000' }, 'body')).toEqual({
      path: 'body.b[1]',
      message: 'body.b[1] contains a NUL byte or an unpaired surrogate',
    });
    expect(findUnsafeText({ ['k\ud800']: 1 })?.path).toBe('k\ud800');
    expect(findUnsafeText('\udc00')?.path).toBe('(value)');
    expect(findUnsafeText({ emoji: '😀', text: 'fine', n: 1, t: true, z: null })).toBeNull();
  });

  it('accepts nesting up to the limit and refuses one level more, without recursion', () => {
    expect(findUnsafeText(nested(MAX_NESTING_DEPTH))).toBeNull();
    expect(findUnsafeText(nested(MAX_NESTING_DEPTH + 1))?.message).toMatch(
      `nested more than ${MAX_NESTING_DEPTH} levels deep`,
    );
    // 200,000 levels would overflow any recursive walk.
    expect(findUnsafeText(nested(200_000), 'body')?.message).toMatch(/^body\[0\]\.a.* is nested more than/);
  });
});
