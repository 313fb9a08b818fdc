import type { FiringDto, TriggerDto, TriggerWithSecretDto, WorkflowRun } from '@deploybot/shared';
import { signatureOf } from '../../src/triggers/webhook-signature';
import type { ApiClient, ApiResponse } from '../helpers/http-client';
import { WORKFLOWS } from '../helpers/http-client';

/** Creates a trigger as the client's user (an admin); throws unless 201. */
export async function createTrigger(
  api: ApiClient,
  body: Record<string, unknown>,
): Promise<TriggerWithSecretDto> {
  const res = await api.post<TriggerWithSecretDto>('/v1/triggers', body);
  if (res.status !== 201) throw new Error(`POST /v1/triggers answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function getTrigger(api: ApiClient, id: string): Promise<TriggerDto> {
  const res = await api.get<TriggerDto>(`/v1/triggers/${id}`);
  if (res.status !== 200) throw new Error(`GET trigger answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function firingsOf(api: ApiClient, id: string, limit = 1000): Promise<FiringDto[]> {
  const res = await api.get<{ firings: FiringDto[] }>(`/v1/triggers/${id}/firings?limit=${limit}`);
  if (res.status !== 200) throw new Error(`GET firings answered ${res.status}: ${res.text}`);
  // Oldest first reads better in assertions.
  return [...res.body.firings].reverse();
}

/** Polls the trigger's firings until `done` holds. */
export async function waitForFirings(
  api: ApiClient,
  id: string,
  done: (firings: FiringDto[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<FiringDto[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const firings = await firingsOf(api, id);
    if (done(firings)) return firings;
    if (Date.now() > until) {
      throw new Error(
        `timed out waiting for ${what}; firings: ${JSON.stringify(firings.map((f) => [f.outcome, f.eventId, f.reason]))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every run (newest first) a trigger started, by `startedBy`. */
export async function runsStartedBy(api: ApiClient, startedBy: string): Promise<WorkflowRun[]> {
  const res = await api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&limit=500`);
  if (res.status !== 200) throw new Error(`GET runs answered ${res.status}: ${res.text}`);
  return res.body.runs.filter((r) => r.startedBy === startedBy);
}

export interface Delivery {
  body: unknown;
  secret?: string;
  /** Overrides the signature computed from `secret` ('' sends none). */
  signature?: string;
  delivery?: string;
  event?: string;
}

/** POSTs a webhook delivery the way GitHub does: raw JSON bytes, signed with the trigger's secret. */
export function sendHook(url: string, triggerId: string, d: Delivery): Promise<ApiResponse> {
  const raw = JSON.stringify(d.body);
  const signature = d.signature ?? (d.secret ? signatureOf(d.secret, raw) : '');
  return rawPost(`${url}/v1/hooks/${triggerId}`, raw, {
    'content-type': 'application/json',
    ...(signature !== '' && { 'x-hub-signature-256': signature }),
    ...(d.delivery !== undefined && { 'x-github-delivery': d.delivery }),
    ...(d.event !== undefined && { 'x-github-event': d.event }),
  });
}

/** A request with no credentials but its own headers. */
export async function rawPost(
  url: string,
  raw: string,
  headers: Record<string, string>,
): Promise<ApiResponse> {
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, body };
}
