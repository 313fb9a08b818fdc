import type { JobLogs, JobStatusUpdate } from '@deploybot/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxSender } from './outbox';
import { jobId, waitFor } from './test-helpers';

const logger = pino({ level: 'silent' });

function batch(id: string, seq: number): JobLogs {
  return { jobId: id, lines: [{ seq, stream: 'stdout', line: `l${seq}`, at: new Date().toISOString() }] };
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
      emitLogs: (b) => sent.push(`logs ${b.lines[0]!.seq}`),
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

  it('refuses payloads that break the contract', async () => {
    const outbox = new Outbox(logger);
    outbox.status({ jobId: 'not-a-uuid', status: 'running' });
    outbox.logs({ jobId: jobId(), lines: [] });
    expect(outbox.size).toBe(0);
  });

  it('drops the oldest log batches when an outage outlasts its capacity, never a status', async () => {
    const outbox = new Outbox(logger, 2);
    const id = jobId();
    outbox.logs(batch(id, 0));
    outbox.status({ jobId: id, status: 'running' });
    outbox.logs(batch(id, 1));
    outbox.logs(batch(id, 2));
    const sent: string[] = [];
    outbox.attach({
      emitLogs: (b) => sent.push(`logs ${b.lines[0]!.seq}`),
      emitStatus: async (u) => {
        sent.push(`status ${u.status}`);
        return { error: { code: 'not_found', message: 'unknown job' } };
      },
    });
    await waitFor(() => outbox.size === 0);
    expect(sent).toEqual(['status running', 'logs 1', 'logs 2']);
  });
});
