import { describe, expect, it } from 'vitest';
import { FreshRead } from './fresh-read';

/** A load whose calls wait until the test finishes them, each returning its own number. */
function controlledLoad() {
  const pending: (() => void)[] = [];
  let calls = 0;
  const load = () =>
    new Promise<number>((resolve) => {
      const n = ++calls;
      pending.push(() => resolve(n));
    });
  return { load, calls: () => calls, finishNext: () => pending.shift()?.() };
}

describe('FreshRead', () => {
  it('a thousand callers during one read share the next one: two loads in all', async () => {
    const c = controlledLoad();
    const read = new FreshRead(c.load);
    const first = read.get();
    const later = Array.from({ length: 1000 }, () => read.get());
    expect(c.calls()).toBe(1);
    c.finishNext();
    expect(await first).toBe(1);
    await expect.poll(() => c.calls()).toBe(2);
    c.finishNext();
    expect(new Set(await Promise.all(later))).toEqual(new Set([2]));
  });

  it('never hands a caller a read that started before it asked', async () => {
    const c = controlledLoad();
    const read = new FreshRead(c.load);
    const early = read.get();
    const late = read.get();
    c.finishNext();
    await early;
    await expect.poll(() => c.calls()).toBe(2);
    const later = read.get(); // read 2 is running: this one waits for read 3
    c.finishNext();
    expect(await late).toBe(2);
    await expect.poll(() => c.calls()).toBe(3);
    c.finishNext();
    expect(await later).toBe(3);
  });

  it('a failed read fails its callers only; the next caller reads again', async () => {
    let fail = true;
    const read = new FreshRead(async () => {
      if (fail) throw new Error('database gone');
      return 'ok';
    });
    await expect(read.get()).rejects.toThrow('database gone');
    fail = false;
    expect(await read.get()).toBe('ok');
  });
});
