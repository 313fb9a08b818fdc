import type { WorkflowRun } from '@deploybot/shared';
import { expect } from 'vitest';
import type { EventRecord } from '../../src/engine/ports';
import { TEST_ADMIN_TOKEN } from '../../src/testing/test-security';

export interface ApiResponse<T = unknown> {
  status: number;
  contentType: string;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
}

export interface RequestOptions {
  /** Sent verbatim instead of JSON-encoding `body`. */
  raw?: string;
  headers?: Record<string, string>;
}

export const WORKFLOWS = '/v1/ai/workflows';

/** A thin fetch wrapper that always returns status, text and parsed JSON. */
/** Requests carry the test admin's token unless `headers.authorization` says otherwise ('' sends none). */
export function apiClient(baseUrl: string, token: string = TEST_ADMIN_TOKEN) {
  async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}) {
    const hasBody = opts.raw !== undefined || body !== undefined;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: Object.fromEntries(
        Object.entries({
          authorization: `Bearer ${token}`,
          ...(hasBody && { 'content-type': 'application/json' }),
          ...opts.headers,
        }).filter(([, v]) => v !== ''),
      ),
      body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      text,
      body: parsed as T,
    } satisfies ApiResponse<T>;
  }

  const get = <T = unknown>(path: string) => request<T>('GET', path);
  const post = <T = unknown>(path: string, body?: unknown, opts?: RequestOptions) =>
    request<T>('POST', path, body, opts);

  async function start(name: string, context: Record<string, unknown> = {}): Promise<WorkflowRun> {
    const res = await post<WorkflowRun>(`${WORKFLOWS}/start?workflow_name=${name}`, context);
    if (res.status !== 201) throw new Error(`start ${name} answered ${res.status}: ${res.text}`);
    return res.body;
  }

  async function run(id: string): Promise<WorkflowRun> {
    const res = await get<WorkflowRun>(`${WORKFLOWS}/${id}`);
    if (res.status !== 200) throw new Error(`GET run ${id} answered ${res.status}: ${res.text}`);
    return res.body;
  }

  async function events(id: string, after = 0): Promise<EventRecord[]> {
    const res = await get<{ events: EventRecord[] }>(`${WORKFLOWS}/${id}/events?after=${after}`);
    if (res.status !== 200) throw new Error(`GET events ${id} answered ${res.status}: ${res.text}`);
    return res.body.events;
  }

  async function runCount(): Promise<number> {
    const res = await get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&limit=500`);
    return res.body.runs.length;
  }

  /** Polls the run (tests only; the product itself never polls) until `predicate` holds. */
  async function waitForRun(
    id: string,
    predicate: (run: WorkflowRun) => boolean,
    what = 'condition',
    timeoutMs = 10_000,
  ): Promise<WorkflowRun> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const current = await run(id);
      if (predicate(current)) return current;
      if (Date.now() > until) {
        throw new Error(
          `timed out waiting for ${what} on run ${id}: status ${current.status}, steps ${stepStatuses(current)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  return { request, get, post, start, run, events, runCount, waitForRun };
}

export type ApiClient = ReturnType<typeof apiClient>;

export const stepStatuses = (run: WorkflowRun) => run.steps.map((s) => `${s.id}:${s.status}`).join(' ');

export const stepOf = (run: WorkflowRun, id: string) => {
  const step = run.steps.find((s) => s.id === id);
  if (!step) throw new Error(`run ${run.id} has no step ${id}`);
  return step;
};

export const isWaitingAt = (stepId: string) => (run: WorkflowRun) =>
  run.status === 'waiting' && run.currentStep === stepId;

export const isStatus =
  (...statuses: WorkflowRun['status'][]) =>
  (run: WorkflowRun) =>
    statuses.includes(run.status);

/** Anything that looks like a stack frame, a source path or a stack property. */
const STACK_TRACE = /\n\s+at |\bat [\w$.<>]+ \(|\.[cm]?[jt]s:\d+|node_modules|"stack"/;

/** Asserts the one error shape `{ error: { code, message, details? } }`, with no stack trace anywhere. */
export function expectError(
  res: ApiResponse,
  status: number,
  code: string,
): { message: string; details?: unknown } {
  expect(res.status, res.text).toBe(status);
  expect(res.contentType).toMatch(/^application\/json/);
  expect(res.text).not.toMatch(STACK_TRACE);
  const body = res.body as { error: { code: string; message: string; details?: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(body.error)) expect(['code', 'message', 'details']).toContain(key);
  return body.error;
}

/** Asserts a 400 whose details name `field` (as the issue path, or in the message of an unknown-field issue). */
export function expectFieldError(res: ApiResponse, field: string, code = 'validation_failed'): void {
  const error = expectError(res, 400, code);
  const details = error.details as { path: string; message: string }[];
  expect(Array.isArray(details), JSON.stringify(error)).toBe(true);
  const named = details.some((d) => d.path === field || d.message.includes(field));
  expect(named, `details should name "${field}": ${JSON.stringify(details)}`).toBe(true);
}

/** Gap-free: seq 1, 2, …, n. */
export function expectGapFree(seqs: number[], last?: number): void {
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  if (last !== undefined) expect(seqs.at(-1)).toBe(last);
}
