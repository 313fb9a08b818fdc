import type { JobDto, LogLine } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { createAppStore } from '../store';
import { appendLines, beginJobLog, onJobLog, onJobLogSnapshot } from './job-log';
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
    onJobLogSnapshot(store, job('running'), [line(1), line(2), line(3)]);
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

  it('never moves a finished job back to running', () => {
    const store = createAppStore();
    onJobStatus(store, job('success'));
    onJobStatus(store, job('running'));
    expect(store.getState().jobs.j1?.status).toBe('success');
  });
});
