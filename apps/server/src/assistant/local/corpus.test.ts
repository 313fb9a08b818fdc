import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AssistantServer,
  seedFleet,
  startAssistantServer,
} from '../../../test/assistant/support/assistant-server';
import { type FleetSnapshot, loadFleetSnapshot } from './resolver';
import { understand } from './understand';

interface Labelled {
  text: string;
  intent: string;
  slots: Record<string, string | number>;
}
const corpus = JSON.parse(readFileSync(join(import.meta.dirname, 'corpus.json'), 'utf8')) as {
  fleet: Parameters<typeof seedFleet>[1];
  utterances: Labelled[];
};

const sorted = (o: object) =>
  JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));

let server: AssistantServer;
let fleet: FleetSnapshot;

beforeAll(async () => {
  server = await startAssistantServer();
  await seedFleet(server, corpus.fleet);
  // Names are resolved against the real registry, exactly as the local provider does per message.
  fleet = await loadFleetSnapshot(server.app.fleet);
});
afterAll(async () => {
  await server?.close();
});

describe('local assistant corpus', () => {
  it('has at least 80 labelled utterances covering every workflow, fleet questions and clarifications', () => {
    expect(corpus.utterances.length).toBeGreaterThanOrEqual(80);
    const intents = new Set(corpus.utterances.map((u) => u.intent));
    for (const i of [
      'register_agent',
      'deploy_application',
      'troubleshoot_failure',
      'health_check',
      'clarify',
    ])
      expect(intents).toContain(i);
  });

  it('recognises ≥ 95% of intents and fills ≥ 90% of slots exactly', () => {
    let intentHits = 0;
    let slotHits = 0;
    const misses: string[] = [];
    for (const u of corpus.utterances) {
      const got = understand(u.text, fleet);
      const intentOk = got.intent === u.intent;
      const slotsOk = intentOk && sorted(got.slots) === sorted(u.slots);
      if (intentOk) intentHits++;
      if (slotsOk) slotHits++;
      if (!slotsOk)
        misses.push(
          `  "${u.text}": want ${u.intent} ${sorted(u.slots)}, got ${got.intent} ${sorted(got.slots)}`,
        );
    }
    const n = corpus.utterances.length;
    const intentAccuracy = (100 * intentHits) / n;
    const slotAccuracy = (100 * slotHits) / n;
    console.log(
      `local assistant corpus: ${n} utterances, intent accuracy ${intentAccuracy.toFixed(1)}% (${intentHits}/${n}), slot accuracy ${slotAccuracy.toFixed(1)}% (${slotHits}/${n}, exact match of all slots)${misses.length ? `\nmisses:\n${misses.join('\n')}` : ''}`,
    );
    expect(intentAccuracy).toBeGreaterThanOrEqual(95);
    expect(slotAccuracy).toBeGreaterThanOrEqual(90);
  });

  it('asks with one-click candidates when a repository is ambiguous, and carries the answer over', () => {
    const first = understand('deploy payments to production', fleet);
    expect(first.intent).toBe('clarify');
    if (first.intent !== 'clarify') return;
    expect(first.clarification.options.map((o) => o.label)).toEqual([
      'myorg/payments-api',
      'myorg/payments-worker',
    ]);
    expect(first.clarification.options[0]!.message).toBe('Deploy myorg/payments-api to production');
    // The person answers with just the name: the environment asked before is kept.
    const pending = {
      intent: first.clarification.about,
      ask: first.clarification.ask,
      known: first.clarification.known,
    };
    expect(understand('the worker', fleet, pending)).toEqual({
      intent: 'deploy_application',
      slots: { repository: 'myorg/payments-worker', ref: 'main', environment: 'production' },
    });
  });

  it('fills a missing host name from a bare answer, and moves on when the person asks something else', () => {
    const first = understand('register a new agent in staging', fleet);
    expect(first).toMatchObject({ intent: 'clarify', slots: { about: 'register_agent', ask: 'hostname' } });
    if (first.intent !== 'clarify') return;
    const pending = {
      intent: first.clarification.about,
      ask: first.clarification.ask,
      known: first.clarification.known,
    };
    expect(understand('edge-07', fleet, pending)).toEqual({
      intent: 'register_agent',
      slots: { hostname: 'edge-07', environment: 'staging' },
    });
    expect(understand('which agents are offline?', fleet, pending).intent).toBe('list_agents');
  });
});
