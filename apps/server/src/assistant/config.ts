import type { ProviderName } from '@deploybot/shared';

/** How the assistant answers: from DEPLOYBOT_AI_PROVIDER, DEPLOYBOT_AI_FALLBACK and the OPENAI_* variables. */
export interface AssistantConfig {
  provider: ProviderName;
  fallback: 'local' | 'none';
  openai: {
    apiKey?: string;
    baseURL?: string;
    model: string;
    timeoutMs: number;
    maxToolRounds: number;
    maxRetries?: number;
  };
}

export const DEFAULT_ASSISTANT_CONFIG: AssistantConfig = {
  provider: 'local',
  fallback: 'local',
  openai: { model: 'gpt-4o-mini', timeoutMs: 60_000, maxToolRounds: 6 },
};
