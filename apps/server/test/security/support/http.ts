import { request as httpRequest } from 'node:http';
import { ERROR_CODES } from '@deploybot/shared';
import { expect } from 'vitest';

/** How a request proves who it is: a Bearer token, or a session cookie (plus the CSRF header when given). */
export interface Credentials {
  token?: string;
  cookie?: string;
  csrf?: string;
}

export interface Res<T = unknown> {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
  creds?: Credentials | null;
  headers?: Record<string, string>;
}

/**
 * One HTTP request with explicit credentials (none unless given), returning status, headers and parsed body.
 * Sent with node:http so the path goes out byte for byte (fetch would resolve `%2e%2e` and `..` segments).
 */
export function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = {};
  const { creds } = opts;
  if (creds?.token) headers.authorization = `Bearer ${creds.token}`;
  if (creds?.cookie) headers.cookie = creds.cookie;
  if (creds?.csrf) headers['x-csrf-token'] = creds.csrf;
  const payload =
    opts.raw !== undefined
      ? Buffer.from(opts.raw)
      : opts.body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(opts.body));
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  Object.assign(headers, opts.headers);
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) h.append(name, v);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: h,
          contentType: h.get('content-type') ?? '',
          text,
          body: body as T,
        });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A client bound to one server and one set of credentials. */
export function client(baseUrl: string, creds: Credentials | null) {
  const req = <T = unknown>(method: string, path: string, opts: Omit<CallOptions, 'creds'> = {}) =>
    call<T>(baseUrl, method, path, { ...opts, creds });
  return {
    creds,
    req,
    get: <T = unknown>(path: string) => req<T>('GET', path),
    post: <T = unknown>(path: string, body?: unknown) => req<T>('POST', path, { body }),
    patch: <T = unknown>(path: string, body?: unknown) => req<T>('PATCH', path, { body }),
    del: <T = unknown>(path: string) => req<T>('DELETE', path),
  };
}
export type Client = ReturnType<typeof client>;

/** Anything that looks like a stack frame, a source path, a module path or a stack property. */
const LEAKS = [
  /\bat [\w$.<>[\]]+ \(/,
  /\n\s+at /,
  /\bat (?:async )?\/[\w./-]+:\d+/,
  /\.[cm]?[jt]s:\d+/,
  /node_modules/,
  /\/(?:work|home|root|usr|tmp|apps|src)\/[\w.-]+\//,
  /"stack"\s*:/,
];

export interface ErrorShape {
  code: string;
  message: string;
  details?: unknown;
}

/** The one error shape `{ error: { code, message, details? } }` as JSON, with no trace of the server's insides. */
export function expectErrorShape(res: Res, what = ''): ErrorShape {
  const label = `${what} → ${res.status} ${res.text.slice(0, 400)}`;
  expect(res.contentType, label).toMatch(/^application\/json/);
  for (const leak of LEAKS) expect(res.text, `${label} leaks ${leak}`).not.toMatch(leak);
  const body = res.body as { error?: ErrorShape } | undefined;
  expect(body && typeof body === 'object' && !Array.isArray(body), label).toBe(true);
  expect(Object.keys(body!), label).toEqual(['error']);
  const error = body!.error!;
  expect(typeof error, label).toBe('object');
  for (const key of Object.keys(error)) expect(['code', 'message', 'details'], label).toContain(key);
  expect(ERROR_CODES as readonly string[], label).toContain(error.code);
  expect(typeof error.message, label).toBe('string');
  expect(error.message.length, label).toBeGreaterThan(0);
  return error;
}

/** A refusal: a 4xx with the one error shape (never a 5xx, never a success). */
export function expectRefused(res: Res, what = ''): ErrorShape {
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 400)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 400)}`).toBeLessThan(500);
  return expectErrorShape(res, what);
}

/** Exactly `status` and `code`, with the one error shape. */
export function expectError(res: Res, status: number, code: string, what = ''): ErrorShape {
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 400)}`).toBe(status);
  const error = expectErrorShape(res, what);
  expect(error.code, what).toBe(code);
  return error;
}

/** The `name=value` pair of a Set-Cookie header, ready for a Cookie header. */
export function cookiePair(setCookie: string | null, name: string): string {
  const pair = setCookie
    ?.split(/,(?=\s*[\w-]+=)/)
    .map((c) => c.trim().split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`));
  if (!pair) throw new Error(`no ${name} cookie in ${setCookie}`);
  return pair;
}
