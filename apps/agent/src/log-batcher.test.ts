import type { JobLogs } from '@deploybot/shared';
import {
  jobLogsSchema,
  LOG_BATCH_MAX_BYTES,
  logBatchBytes,
  SOCKET_MAX_MESSAGE_BYTES,
} from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { LogBatcher } from './log-batcher';
import { jobId, waitFor } from './test-helpers';

describe('LogBatcher', () => {
  it('numbers lines from 0 and sends a full batch at once', () => {
    const batches: JobLogs[] = [];
    const b = new LogBatcher({
      jobId: jobId(),
      send: (x) => batches.push(x),
      maxBatchLines: 3,
      flushIntervalMs: 10_000,
    });
    for (let i = 0; i < 7; i++) b.add(i % 2 ? 'stderr' : 'stdout', `line ${i}`);
    expect(batches.map((x) => x.lines.map((l) => l.seq))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    b.flush();
    expect(batches[2]!.lines).toMatchObject([{ seq: 6, stream: 'stdout', line: 'line 6' }]);
    for (const batch of batches) expect(jobLogsSchema.safeParse(batch).success).toBe(true);
    b.flush();
    expect(batches).toHaveLength(3);
  });

  it('sends a partial batch after the flush interval', async () => {
    const batches: JobLogs[] = [];
    const b = new LogBatcher({ jobId: jobId(), send: (x) => batches.push(x), flushIntervalMs: 30 });
    b.add('system', 'hello');
    expect(batches).toHaveLength(0);
    await waitFor(() => batches.length === 1, 1_000, 'timed flush');
    expect(batches[0]!.lines[0]).toMatchObject({ seq: 0, stream: 'system', line: 'hello' });
    expect(b.nextSeq).toBe(1);
  });

  it('bounds a batch by bytes: 200 lines of 15 KB go out as several messages that each fit', () => {
    const batches: JobLogs[] = [];
    const b = new LogBatcher({ jobId: jobId(), send: (x) => batches.push(x), flushIntervalMs: 10_000 });
    for (let i = 0; i < 200; i++) b.add('stdout', `${i} ${'x'.repeat(15_000)}`);
    b.flush();
    expect(batches.flatMap((x) => x.lines.map((l) => l.seq))).toEqual([...Array(200).keys()]);
    expect(batches.length).toBeGreaterThan(10);
    for (const batch of batches) {
      expect(jobLogsSchema.safeParse(batch).success).toBe(true);
      expect(logBatchBytes(batch.lines)).toBeLessThanOrEqual(LOG_BATCH_MAX_BYTES);
      expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThan(SOCKET_MAX_MESSAGE_BYTES / 2);
    }
  });

  it('counts a line as the JSON it becomes: control characters take six bytes each', () => {
    const batches: JobLogs[] = [];
    const b = new LogBatcher({ jobId: jobId(), send: (x) => batches.push(x), flushIntervalMs: 10_000 });
    // 16 K of \x1b is 16 KB of text but 96 KB of JSON.
    for (let i = 0; i < 20; i++) b.add('stdout', '\x1b'.repeat(16_000));
    b.flush();
    for (const batch of batches) {
      expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(LOG_BATCH_MAX_BYTES);
    }
    expect(batches.length).toBeGreaterThanOrEqual(20 / 2);
  });
});
