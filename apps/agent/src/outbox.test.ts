import type { JobLogs, JobStatusUpdate } from '@deploybot/shared';
import { LOG_BATCH_MAX_BYTES, LOG_BATCH_MAX_LINES, logBatchBytes } from '@deploybot/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxSender } from './outbox';
import { jobId, waitFor } from './test-helpers';

const logger = pino({ level: 'silent' });
const RECEIPT = { data: { stored: 1, capped: false } };

function batch(id: string, seq: number, count = 1, text = (s: number) => `l${s}`): JobLogs {
  return {
    jobId: id,
    lines: Array.from({ length: count }, (_, i) => ({
      seq: seq + i,
      stream: 'stdout' as const,
      line: text(seq + i),
      at: new Date().toISOString(),
    })),
  };
}

/** Records what reaches the "controller", in order. */
function recorder(answer: (b: JobLogs) => unknown = () => RECEIPT) {
  const sent: string[] = [];
  const batches: JobLogs[] = [];
  const sender: OutboxSender = {
    emitLogs: async (b) => {
      batches.push(b);
      sent.push(`logs ${b.lines.map((l) => l.seq).join(',')}`);
      return answer(b);
    },
    emitStatus: async (u: JobStatusUpdate) => {
      sent.push(`status ${u.status}`);
      return { data: { ok: true } };
    },
  };
  return { sent, batches, sender };
}

describe('Outbox', () => {
  it('holds everything while disconnected and delivers it in order once attached', async () => {
    const outbox = new Outbox(logger);
    const id = jobId();
    outbox.status({ jobId: id, status: 'running' });
    outbox.logs(batch(id, 0));
    outbox.status({ jobId: id, status: 'success', exitCode: 0 });
    expect(outbox.unreportedJobIds()).toEqual([id]);

    const sent: string[] = [];
    let failures = 1;
    const sender: OutboxSender = {
      emitLogs: async (b) => {
        sent.push(`logs ${b.lines[0]!.seq}`);
        return RECEIPT;
      },
      emitStatus: async (u: JobStatusUpdate) => {
        // The first status ack is lost (a timeout): it must be sent again, not skipped.
        if (failures-- > 0) throw new Error('operation has timed out');
        sent.push(`status ${u.status}`);
        return { data: { ok: true } };
      },
    };
    outbox.attach(sender);
    expect(await outbox.drained(5_000)).toBe(true);
    expect(sent).toEqual(['status running', 'logs 0', 'status success']);
    expect(outbox.unreportedJobIds()).toEqual([]);
  });

  it('sends a log batch again after a reconnect when its ack never came, before the final status', async () => {
    const outbox = new Outbox(logger);
    const id = jobId();
    outbox.logs(batch(id, 0, 3));
    outbox.status({ jobId: id, status: 'success', exitCode: 0 });
    // The first connection takes the batch and dies before answering.
    let dropConnection: (error: Error) => void = () => {};
    const attempts: string[] = [];
    outbox.attach({
      emitLogs: (b) =>
        new Promise((_, reject) => {
          attempts.push(`logs ${b.lines.map((l) => l.seq).join(',')}`);
          dropConnection = reject;
        }),
      emitStatus: async () => {
        attempts.push('status on the dead connection');
        return { data: { ok: true } };
      },
    });
    await waitFor(() => attempts.length === 1);
    outbox.detach();
    dropConnection(new Error('socket has been disconnected'));

    const next = recorder();
    outbox.attach(next.sender);
    expect(await outbox.drained(5_000)).toBe(true);
    expect(attempts).toEqual(['logs 0,1,2']);
    expect(next.sent).toEqual(['logs 0,1,2', 'status success']);
  });

  it('refuses payloads that break the contract', async () => {
    const outbox = new Outbox(logger);
    outbox.status({ jobId: 'not-a-uuid', status: 'running' });
    outbox.logs({ jobId: jobId(), lines: [] });
    expect(outbox.size).toBe(0);
  });

  it('folds waiting batches of a job into one message, within the line and byte limits', async () => {
    const outbox = new Outbox(logger);
    const id = jobId();
    const big = (s: number) => `${s}:${'x'.repeat(15_000)}`;
    for (let seq = 0; seq < 60; seq += 3) outbox.logs(batch(id, seq, 3, big));
    for (let seq = 60; seq < 60 + 2 * LOG_BATCH_MAX_LINES; seq += 200) outbox.logs(batch(id, seq, 200));
    const { batches, sender } = recorder();
    outbox.attach(sender);
    expect(await outbox.drained(5_000)).toBe(true);
    const seqs = batches.flatMap((b) => b.lines.map((l) => l.seq));
    expect(seqs).toEqual(Array.from({ length: 60 + 2 * LOG_BATCH_MAX_LINES }, (_, i) => i));
    // 60 lines of 15 KB are 900 KB: more than one message may carry.
    expect(batches.length).toBeLessThan(20 + 10);
    for (const b of batches) {
      expect(b.lines.length).toBeLessThanOrEqual(LOG_BATCH_MAX_LINES);
      expect(logBatchBytes(b.lines)).toBeLessThanOrEqual(LOG_BATCH_MAX_BYTES);
    }
  });

  it('when an outage outlasts its buffer, the oldest lines become one marker line per gap; statuses stay', async () => {
    const line = (s: number) => `${s}:${'y'.repeat(1000)}`;
    const perBatch = logBatchBytes(batch(jobId(), 0, 10, line).lines);
    const outbox = new Outbox(logger, 3 * perBatch);
    const id = jobId();
    outbox.logs(batch(id, 0, 10, line));
    outbox.status({ jobId: id, status: 'running' });
    for (let seq = 10; seq < 60; seq += 10) outbox.logs(batch(id, seq, 10, line));
    outbox.status({ jobId: id, status: 'success', exitCode: 0 });
    const { sent, batches, sender } = recorder();
    outbox.attach(sender);
    expect(await outbox.drained(5_000)).toBe(true);
    const newest = Array.from({ length: 20 }, (_, i) => 40 + i).join(',');
    expect(sent).toEqual(['logs 0', 'status running', 'logs 10', `logs ${newest}`, 'status success']);
    const markers = batches.filter((b) => b.lines.length === 1).map((b) => b.lines[0]!);
    expect(markers.map((m) => [m.seq, m.stream])).toEqual([
      [0, 'system'],
      [10, 'system'],
    ]);
    expect(markers[0]!.line).toMatch(/^\[deploybot\] 10 log line\(s\) dropped here \(seq 0-9\)/);
    // Gaps next to each other make one marker.
    expect(markers[1]!.line).toMatch(/^\[deploybot\] 30 log line\(s\) dropped here \(seq 10-39\)/);
  });

  it('stops sending the lines of a job whose log the controller capped', async () => {
    const outbox = new Outbox(logger);
    const id = jobId();
    const other = jobId();
    outbox.logs(batch(id, 0));
    outbox.logs(batch(other, 0));
    outbox.logs(batch(id, 1));
    const { sent, sender } = recorder((b) =>
      b.jobId === id ? { data: { stored: 0, capped: true } } : RECEIPT,
    );
    outbox.attach(sender);
    expect(await outbox.drained(5_000)).toBe(true);
    outbox.logs(batch(id, 2));
    outbox.logs(batch(other, 1));
    expect(await outbox.drained(5_000)).toBe(true);
    expect(sent).toEqual(['logs 0', 'logs 0', 'logs 1']);
  });

  it('drops a batch the controller refuses for good, and goes on', async () => {
    const outbox = new Outbox(logger);
    const id = jobId();
    outbox.logs(batch(id, 0));
    outbox.logs(batch(jobId(), 0));
    outbox.status({ jobId: id, status: 'failed' });
    let first = true;
    const { sent, sender } = recorder(() => {
      if (!first) return RECEIPT;
      first = false;
      return { error: { code: 'forbidden', message: 'not your job' } };
    });
    outbox.attach(sender);
    expect(await outbox.drained(5_000)).toBe(true);
    expect(sent).toEqual(['logs 0', 'logs 0', 'status failed']);
  });
});
