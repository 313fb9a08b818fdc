import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { withLogContext } from './observability/log-context';

/** Logs one line with a field and returns what reached the destination. */
function logOnce(options: { format?: 'pretty' | 'json'; isTTY: boolean }): string {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  createLogger({ level: 'info', destination: out, ...options }).info({ port: 8080 }, 'controller listening');
  return chunks.join('');
}

describe('controller log format', () => {
  it('is one JSON object a line when stdout is not a terminal', () => {
    const line = JSON.parse(logOnce({ isTTY: false }).trim());
    expect(line).toMatchObject({ level: 30, msg: 'controller listening', port: 8080 });
  });

  it('is a readable line at a terminal: one line of time, level, message and fields', () => {
    const raw = logOnce({ isTTY: true });
    const text = stripVTControlCharacters(raw);
    expect(raw).not.toBe(text); // coloured at a terminal
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: controller listening {"port":8080}\n$/);
  });

  it('LOG_FORMAT wins over the terminal check either way', () => {
    expect(() => JSON.parse(logOnce({ format: 'json', isTTY: true }).trim())).not.toThrow();
    expect(logOnce({ format: 'pretty', isTTY: false })).toContain('INFO: controller listening');
  });
});

describe('log context', () => {
  it('every line written inside withLogContext carries its run, step and job id; the line own fields win', () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ level: 'info', destination: out, format: 'json' });
    logger.info('before');
    withLogContext({ runId: 'run-1', stepId: 'build' }, () => {
      logger.child({ component: 'fleet' }).info('step line');
      withLogContext({ jobId: 'job-9' }, () => logger.info({ stepId: 'explicit' }, 'job line'));
    });
    logger.info('after');
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.msg, l.runId, l.stepId, l.jobId])).toEqual([
      ['before', undefined, undefined, undefined],
      ['step line', 'run-1', 'build', undefined],
      ['job line', 'run-1', 'explicit', 'job-9'],
      ['after', undefined, undefined, undefined],
    ]);
    expect(lines[1]).toMatchObject({ component: 'fleet' });
  });

  it('pretty lines carry it too', () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ level: 'info', destination: out, format: 'pretty', isTTY: false });
    withLogContext({ requestId: 'req-7' }, () => logger.info('handled'));
    expect(chunks.join('')).toContain('"requestId":"req-7"');
  });
});
