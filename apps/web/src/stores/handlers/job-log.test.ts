import type { JobDto, LogLine } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { createAppStore } from '../store';
import {
  appendLines,
  beginJobLog,
  MAX_LOG_LINES,
  onJobLog,
  onJobLogSnapshot,
  onOlderLines,
  onOlderLinesLoading,
} from './job-log';
import { onJobStatus } from './job-status';

const line = (seq: number): LogLine => ({
  seq,
  stream: 'stdout',
  line: `line ${seq}`,
  at: '2026-01-01T00:00:00Z',
});
const job = (status: JobDto['status']) => ({ id: 'j1', status }) as JobDto;

describe('job logs', () => {
  it('buffers batches until the subscribe ack, then merges them by seq without duplicates', () => {
    const store = createAppStore();
    beginJobLog(store, 'j1');
    onJobLog(store, { jobId: 'j1', lines: [line(3), line(4)] });
    expect(store.getState().logs.j1?.lines).toEqual([]);
    onJobLogSnapshot(store, job('running'), { lines: [line(1), line(2), line(3)], before: null });
    expect(store.getState().logs.j1?.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    onJobLog(store, { jobId: 'j1', lines: [line(4), line(5)] });
    expect(store.getState().logs.j1?.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('ignores batches for jobs nobody follows', () => {
    const store = createAppStore();
    onJobLog(store, { jobId: 'other', lines: [line(1)] });
    expect(store.getState().logs.other).toBeUndefined();
  });

  it('appends thousands of lines in one go', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => line(i));
    expect(appendLines([], many)).toHaveLength(20_000);
  });

  it('pages older lines in on top, until the first line; a stale answer changes nothing', () => {
    const store = createAppStore();
    beginJobLog(store, 'j1');
    onJobLogSnapshot(store, job('running'), { lines: [line(5), line(6)], before: 5 });
    expect(store.getState().logs.j1?.before).toBe(5);
    onOlderLinesLoading(store, 'j1', true);
    onOlderLines(store, 'j1', 4, { lines: [line(1)], before: null }); // asked before another seq: stale
    expect(store.getState().logs.j1?.lines.map((l) => l.seq)).toEqual([5, 6]);
    onOlderLinesLoading(store, 'j1', true);
    onOlderLines(store, 'j1', 5, { lines: [line(3), line(4)], before: 3 });
    expect(store.getState().logs.j1).toMatchObject({ before: 3, loadingOlder: false });
    onOlderLines(store, 'j1', 3, { lines: [line(0), line(1), line(2)], before: null });
    expect(store.getState().logs.j1?.lines.map((l) => l.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(store.getState().logs.j1?.before).toBeNull();
  });

  it('lines dropped from the top to stay under the cap can be paged back in', () => {
    const store = createAppStore();
    beginJobLog(store, 'j1');
    onJobLogSnapshot(store, job('running'), { lines: [line(0)], before: null });
    onJobLog(store, { jobId: 'j1', lines: Array.from({ length: MAX_LOG_LINES + 9 }, (_, i) => line(i + 1)) });
    const log = store.getState().logs.j1!;
    expect(log.lines).toHaveLength(MAX_LOG_LINES);
    expect(log.before).toBe(log.lines[0]?.seq);
    expect(log.before).toBe(10);
  });

  it('never moves a finished job back to running', () => {
    const store = createAppStore();
    onJobStatus(store, job('success'));
    onJobStatus(store, job('running'));
    expect(store.getState().jobs.j1?.status).toBe('success');
  });
});
