import type { AiStatusDto } from '@deploybot/shared';
import type { Logger } from 'pino';
import type { AssistantConfig } from './config';
import { type Explain, modelExplainer, templateExplainer } from './explain';
import { FallbackProvider } from './fallback-provider';
import { LocalProvider } from './local/local-provider';
import type { FleetSnapshot } from './local/resolver';
import { OpenAiProvider } from './openai/openai-provider';
import type { ChatProvider, ProviderEvent } from './provider';

export interface Providers {
  /** The provider that answers chat messages (with its fallback inside, if any). */
  chat: ChatProvider;
  status(): AiStatusDto;
}

/** The configured provider, and what `GET /v1/ai/status` says about it. */
export function buildProviders(
  config: AssistantConfig,
  snapshot: () => Promise<FleetSnapshot>,
  logger: Logger,
): Providers {
  const local = new LocalProvider(snapshot);
  if (config.provider === 'local') {
    return {
      chat: local,
      status: () => ({ provider: 'local', model: null, fallback: null, ready: true, reason: null }),
    };
  }
  const { apiKey } = config.openai;
  const fallback = config.fallback === 'local' ? local : null;
  if (!apiKey) {
    const reason = 'DEPLOYBOT_AI_PROVIDER is openai but OPENAI_API_KEY is not set';
    logger.warn(
      `${reason}; ${fallback ? 'answering with the local assistant' : 'the assistant cannot answer'}`,
    );
    const unusable: ChatProvider = {
      name: 'openai',
      model: config.openai.model,
      async *stream() {
        yield { type: 'error', kind: 'auth', message: `${reason}.` } satisfies ProviderEvent;
      },
    };
    return {
      chat: fallback ?? unusable,
      status: () => ({
        provider: fallback ? 'local' : 'openai',
        model: fallback ? null : config.openai.model,
        fallback: null,
        ready: false,
        reason,
      }),
    };
  }
  const openai = new OpenAiProvider({ ...config.openai, apiKey });
  let lastFailure: { message: string; kind: string } | null = null;
  const track = (e: Extract<ProviderEvent, { type: 'error' }>) => {
    lastFailure = { message: e.message, kind: e.kind };
    logger.warn({ kind: e.kind }, `AI provider failed: ${e.message}`);
  };
  const tracked: ChatProvider = {
    name: 'openai',
    model: config.openai.model,
    async *stream(req) {
      for await (const e of openai.stream(req)) {
        if (e.type === 'error' && !fallback) track(e);
        if (e.type === 'done') lastFailure = null;
        yield e;
      }
    },
  };
  return {
    chat: fallback ? new FallbackProvider(tracked, fallback, track) : tracked,
    status: () => ({
      provider: 'openai',
      model: config.openai.model,
      fallback: fallback ? 'local' : null,
      // A refused key makes every answer fail until the configuration changes; other failures pass.
      ready: lastFailure?.kind !== 'auth',
      reason: lastFailure ? `last request failed: ${lastFailure.message}` : null,
    }),
  };
}

/** Item 6: the model explains workflow facts when one is configured; otherwise the template does. */
export function buildExplainer(config: AssistantConfig): Explain {
  if (config.provider === 'openai' && config.openai.apiKey) {
    return modelExplainer({ ...config.openai, apiKey: config.openai.apiKey });
  }
  return templateExplainer;
}
