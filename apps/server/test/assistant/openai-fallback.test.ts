import type { AiStatusDto, ChatReplyDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../helpers/http-client';
import { type AssistantServer, startAssistantServer } from './support/assistant-server';
import { FakeOpenAi } from './support/fake-openai';

let fake: FakeOpenAi;
let s: AssistantServer;
let alice: ApiClient;

beforeAll(async () => {
  fake = await new FakeOpenAi().start();
  s = await startAssistantServer({
    provider: 'openai',
    fallback: 'local',
    openai: {
      apiKey: 'sk-fallback-0123456789abcdef',
      baseURL: fake.url,
      model: 'fake-model',
      timeoutMs: 1000,
      maxToolRounds: 4,
      maxRetries: 0,
    },
  });
  alice = s.as('alice');
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

const chat = async (message: string) =>
  (await alice.post<ChatReplyDto>('/v1/ai/chat', { message })).body.reply;

describe('openai with the local fallback', () => {
  it('reports the provider, model and fallback', async () => {
    expect((await alice.get<AiStatusDto>('/v1/ai/status')).body).toEqual({
      provider: 'openai',
      model: 'fake-model',
      fallback: 'local',
      ready: true,
      reason: null,
    });
  });

  it('lets the local assistant answer when the model fails before saying anything, and says why', async () => {
    fake.enqueue({ kind: 'status', status: 401 });
    const reply = await chat('which agents are offline?');
    expect(reply.status).toBe('complete');
    expect(reply.content).toMatch(
      /^_The AI provider \(127\.0\.0\.1:\d+\) refused the API key \(HTTP 401\)\. Check OPENAI_API_KEY\. The built-in local assistant answers instead\._\n\nNo agents are registered yet/,
    );
    expect(reply.toolCalls.map((c) => c.name)).toEqual(['list_agents']);
    const status = (await alice.get<AiStatusDto>('/v1/ai/status')).body;
    expect(status).toMatchObject({ provider: 'openai', ready: false });
    expect(status.reason).toMatch(/HTTP 401/);

    // The chat request hangs; the health check the fallback starts then asks the model for its explanation.
    fake.enqueue({ kind: 'hang' }, { kind: 'text', text: 'Nothing to report.' });
    const slow = await chat('Run a system health check');
    expect(slow.content).toMatch(
      /did not answer within 1 s\. The built-in local assistant answers instead\._\n\nRunning a system health check/,
    );
    expect(slow.runId).toMatch(/^[0-9a-f-]{36}$/);
    const run = await alice.waitForRun(slow.runId!, (r) => r.status === 'completed', 'health check');
    expect(run.steps.at(-1)!.data).toMatchObject({
      explanation: { text: 'Nothing to report.', source: 'model' },
    });
  });

  it('does not fall back once the model has acted: the failure is shown as is', async () => {
    fake.enqueue({ kind: 'stall', chunks: [{ content: 'Let me look' }] });
    const reply = await chat('hello');
    expect(reply.status).toBe('error');
    expect(reply.content).toMatch(/^Let me look\n\n⚠ The AI provider .* did not answer within 1 s\.$/);
    expect(reply.toolCalls).toEqual([]);
  });
});
