import { describe, expect, it } from 'vitest';
import {
  jobLogsSchema,
  jsonTextBytes,
  LOG_BATCH_MAX_BYTES,
  LOG_LINE_MAX_CHARS,
  logBatchBytes,
  SOCKET_MAX_MESSAGE_BYTES,
} from './agent-protocol';

const at = '2024-05-01T12:00:00.000Z';
const JOB = '6f9619ff-8b86-4d11-b42d-00c04fc964ff';

describe('jsonTextBytes', () => {
  it.each([
    ['plain ASCII', 'hello world'],
    ['quotes and backslashes', 'say "hi" \\ bye'],
    ['short escapes', 'a\tb\nc\rd\be\ff'],
    ['other control characters', '\x1b[31mred\x1b[0m\x00\x0b'],
    ['two- and three-byte characters', 'Grüße, 日本語'],
    ['surrogate pairs', '😀 🚀'],
    ['lone surrogates', 'a\ud800b\udc00'],
  ])('counts %s exactly as JSON.stringify makes them', (_what, text) => {
    expect(jsonTextBytes(text)).toBe(Buffer.byteLength(JSON.stringify(text)));
  });
});

describe('jobLogsSchema', () => {
  it('takes the biggest batch it allows, and that batch fits in one Socket.IO message', () => {
    // The worst escaping: every character a control character.
    const line = '\x01'.repeat(LOG_LINE_MAX_CHARS);
    const lines: { seq: number; stream: 'stdout'; line: string; at: string }[] = [];
    while (logBatchBytes([...lines, { line }]) <= LOG_BATCH_MAX_BYTES) {
      lines.push({ seq: lines.length, stream: 'stdout', line, at });
    }
    const batch = { jobId: JOB, lines };
    expect(jobLogsSchema.safeParse(batch).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThan(SOCKET_MAX_MESSAGE_BYTES / 2);
  });

  it('refuses a batch over the byte limit, however few its lines', () => {
    const lines = Array.from({ length: 20 }, (_, seq) => ({
      seq,
      stream: 'stdout' as const,
      line: 'x'.repeat(15_000),
      at,
    }));
    const parsed = jobLogsSchema.safeParse({ jobId: JOB, lines });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/at most \d+ bytes/);
  });

  it('refuses a line time that is not a timestamp', () => {
    const lines = [{ seq: 0, stream: 'stdout', line: 'x', at: 'x'.repeat(100_000) }];
    expect(jobLogsSchema.safeParse({ jobId: JOB, lines }).success).toBe(false);
  });
});
