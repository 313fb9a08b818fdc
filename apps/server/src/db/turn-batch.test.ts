import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch';

describe('TurnBatch', () => {
  it('serves the calls of one turn with one call, each with its own answer, and the next turn with another', async () => {
    const served: number[][] = [];
    const batch = new TurnBatch<number, number>(async (inputs) => {
      served.push([...inputs]);
      return inputs.map((n) => n * 10);
    });
    expect(await Promise.all([batch.submit(1), batch.submit(2), batch.submit(3)])).toEqual([10, 20, 30]);
    expect(await batch.submit(4)).toBe(40);
    expect(served).toEqual([[1, 2, 3], [4]]);
  });

  it('fails every call of a batch that fails, and serves the next batch afresh', async () => {
    let fail = true;
    const batch = new TurnBatch<string, string>(async (inputs) => {
      if (fail) throw new Error('database down');
      return inputs.map((s) => s.toUpperCase());
    });
    const failed = await Promise.allSettled([batch.submit('a'), batch.submit('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batch.submit('c')).toBe('C');
  });
});
