import OpenAI from 'openai';
import type { ProviderErrorKind } from '../provider';
import { redact } from '../redact';

export interface ProviderFailure {
  kind: ProviderErrorKind;
  message: string;
}

/** The host of the endpoint, for messages: never the key, never credentials in the URL. */
export function endpointName(baseURL: string | undefined): string {
  if (!baseURL) return 'api.openai.com';
  try {
    return new URL(baseURL).host;
  } catch {
    return 'the configured OPENAI_BASE_URL';
  }
}

/** Any failure of a call to an OpenAI-compatible API → one clear sentence for the chat. Never includes the key. */
export function describeFailure(
  err: unknown,
  opts: { baseURL?: string; model: string; timeoutMs: number; timedOut: boolean },
): ProviderFailure {
  const where = endpointName(opts.baseURL);
  if (opts.timedOut || err instanceof OpenAI.APIConnectionTimeoutError) {
    return {
      kind: 'timeout',
      message: `The AI provider (${where}) did not answer within ${Math.round(opts.timeoutMs / 1000)} s.`,
    };
  }
  if (err instanceof OpenAI.AuthenticationError || err instanceof OpenAI.PermissionDeniedError) {
    return {
      kind: 'auth',
      message: `The AI provider (${where}) refused the API key (HTTP ${err.status}). Check OPENAI_API_KEY.`,
    };
  }
  if (err instanceof OpenAI.RateLimitError) {
    return {
      kind: 'rate_limit',
      message: `The AI provider (${where}) is rate limiting requests (HTTP 429). Try again in a moment.`,
    };
  }
  if (err instanceof OpenAI.NotFoundError) {
    return {
      kind: 'bad_response',
      message: `The AI provider (${where}) does not know model "${opts.model}" or the endpoint (HTTP 404). Check OPENAI_MODEL and OPENAI_BASE_URL.`,
    };
  }
  if (err instanceof OpenAI.InternalServerError) {
    return { kind: 'unavailable', message: `The AI provider (${where}) failed (HTTP ${err.status}).` };
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return { kind: 'unavailable', message: `The AI provider (${where}) could not be reached.` };
  }
  if (err instanceof OpenAI.APIError) {
    const detail = String(redact(err.message)).slice(0, 200);
    return {
      kind: 'bad_response',
      message: `The AI provider (${where}) refused the request${err.status ? ` (HTTP ${err.status})` : ''}: ${detail}`,
    };
  }
  return {
    kind: 'bad_response',
    message: `The AI provider (${where}) sent a response that could not be read.`,
  };
}
