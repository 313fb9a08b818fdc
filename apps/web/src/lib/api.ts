import type { FieldIssue } from '@deploybot/shared';

/** A failed request, in the server's one error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

/** Set by the auth layer after login: every cookie-authenticated write must carry it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server answers 401 to anything but the auth endpoints (the session ended). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function issuesOf(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is FieldIssue =>
      typeof d === 'object' && d !== null && typeof (d as FieldIssue).message === 'string',
  );
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** JSON request to the controller (same origin, session cookie). Throws ApiError for any non-2xx answer. */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const text = await send(
    method,
    path,
    body === undefined ? undefined : { text: JSON.stringify(body), type: 'application/json' },
  );
  return parseJson(text) as T;
}

/** Sends a text body of its own media type (a YAML document) and reads the JSON answer. */
export async function apiText<T>(method: Method, path: string, text: string, type: string): Promise<T> {
  return parseJson(await send(method, path, { text, type })) as T;
}

/** Reads an answer as text (a file the controller serves, such as an exported document). */
export function fetchText(path: string): Promise<string> {
  return send('GET', path, undefined, '*/*');
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

async function send(
  method: Method,
  path: string,
  body: { text: string; type: string } | undefined,
  accept = 'application/json',
): Promise<string> {
  const headers: Record<string, string> = { accept };
  if (body !== undefined) headers['content-type'] = body.type;
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body?.text,
    });
  } catch {
    throw new ApiError(0, 'unavailable', 'the controller cannot be reached; check your connection');
  }
  const text = await res.text();
  if (!res.ok) {
    const json = parseJson(text);
    const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    if (res.status === 401 && !path.startsWith('/v1/auth/')) onUnauthorized();
    throw new ApiError(
      res.status,
      err?.code ?? 'internal',
      err?.message ?? `${method} ${path} failed with HTTP ${res.status}`,
      issuesOf(err?.details),
    );
  }
  return text;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
