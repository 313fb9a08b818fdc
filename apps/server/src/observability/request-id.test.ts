import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { requestIdMiddleware, requestIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it('keeps a sane incoming id and replaces anything else with a UUID', () => {
    expect(requestIdOf('abc-123_X.y')).toBe('abc-123_X.y');
    expect(requestIdOf('a'.repeat(100))).toBe('a'.repeat(100));
    for (const bad of [
      undefined,
      '',
      'a'.repeat(101),
      'has space',
      'new\nline',
      'semi;colon',
      'ünï',
      '{"json":1}',
    ]) {
      expect(requestIdOf(bad)).toMatch(UUID);
    }
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });
});

describe('request id middleware', () => {
  const chunks: string[] = [];
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ level: 'info', destination: out, format: 'json' });
    // As in http-app.ts: first, before the body parser (the context must survive its stream callbacks).
    const app = express();
    app.use(requestIdMiddleware);
    app.use(express.json());
    app.post('/echo', async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.info({ body: req.body }, 'echoed');
      res.json({ id: req.id });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
  });

  const post = (headers: Record<string, string> = {}) =>
    fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ n: 1 }),
    });
  const linesWith = (id: string) =>
    chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.requestId === id);

  it('echoes a sane X-Request-Id and every line the request logs (after parsing its body, after an await) names it', async () => {
    const res = await post({ 'x-request-id': 'lb-4711' });
    expect(res.headers.get('x-request-id')).toBe('lb-4711');
    expect(await res.json()).toEqual({ id: 'lb-4711' });
    expect(linesWith('lb-4711')).toEqual([expect.objectContaining({ msg: 'echoed', body: { n: 1 } })]);
  });

  it('gives a request without one, or with an insane one, a fresh UUID', async () => {
    const none = await post();
    const noneId = none.headers.get('x-request-id')!;
    expect(noneId).toMatch(UUID);
    expect(linesWith(noneId)).toHaveLength(1);
    const insane = await post({ 'x-request-id': 'x'.repeat(101) });
    expect(insane.headers.get('x-request-id')).toMatch(UUID);
    expect(insane.headers.get('x-request-id')).not.toBe(noneId);
  });
});
