import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ASSISTANT_CONFIG } from './config';
import { templateExplanation } from './explain';
import { buildExplainer, buildProviders } from './providers';

describe('template explanations (the local stand-in for a model)', () => {
  it('explains a diagnosis from its facts', () => {
    const text = templateExplanation('troubleshoot', {
      failures: 3,
      groups: [
        {
          label: 'a manifest step exited non-zero',
          count: 2,
          agents: ['web-01'],
          repositories: ['myorg/frontend'],
        },
        { label: 'agent offline', count: 1, agents: ['web-02'], repositories: ['myorg/backend'] },
      ],
      target: {
        id: 'j1',
        repository: 'myorg/frontend',
        ref: 'main',
        agentHostname: 'web-01',
        error: 'step "test" exited with code 1',
        diagnosedCause: 'step_failed',
      },
    });
    expect(text).toBe(
      '3 deployments failed in the last 24 hours without a successful retry. The most recent, myorg/frontend@main on web-01, failed with “step "test" exited with code 1”: a command of deploybot.yml exited with an error; the gathered log lines show which one and why. Failures fall into 2 groups; the largest is “a manifest step exited non-zero” (2).',
    );
  });

  it('explains a health report from its facts', () => {
    const text = templateExplanation('health', {
      agents: [
        { hostname: 'web-01', status: 'online', problems: [] },
        { hostname: 'web-02', status: 'offline', problems: ['offline, last heartbeat 5 min ago'] },
      ],
      jobs: { running: 1, stuck: [{}], waiting: [] },
      metrics: [{ window: '24h', successRate: 75, succeeded: 3, failed: 1 }],
      recommendations: ['Bring web-02 back.'],
    });
    expect(text).toBe(
      '1 of 2 agents are online; web-02 needs attention. 1 job is running, 1 of them stuck. In the last 24 hours 75% of 4 finished deployments succeeded. First thing to do: Bring web-02 back.',
    );
  });
});

describe('provider selection', () => {
  const logger = pino({ level: 'silent' });
  const snapshot = async () => ({ repositories: [], agents: [] });

  it('uses local by default, and the template explainer', async () => {
    const p = buildProviders(DEFAULT_ASSISTANT_CONFIG, snapshot, logger);
    expect(p.chat.name).toBe('local');
    expect(p.status()).toEqual({ provider: 'local', model: null, fallback: null, ready: true, reason: null });
    const explain = buildExplainer(DEFAULT_ASSISTANT_CONFIG);
    expect(
      (
        await explain(
          'health',
          { agents: [], jobs: { running: 0, stuck: [], waiting: [] }, metrics: [], recommendations: [] },
          new AbortController().signal,
        )
      ).source,
    ).toBe('template');
  });

  it('answers with local and says why when openai is chosen without a key', () => {
    const config = { ...DEFAULT_ASSISTANT_CONFIG, provider: 'openai' as const };
    const p = buildProviders(config, snapshot, logger);
    expect(p.chat.name).toBe('local');
    expect(p.status()).toEqual({
      provider: 'local',
      model: null,
      fallback: null,
      ready: false,
      reason: 'DEPLOYBOT_AI_PROVIDER is openai but OPENAI_API_KEY is not set',
    });
    const none = buildProviders({ ...config, fallback: 'none' }, snapshot, logger);
    expect(none.status()).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', ready: false });
  });
});
