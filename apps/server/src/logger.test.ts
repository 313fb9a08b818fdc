import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

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
