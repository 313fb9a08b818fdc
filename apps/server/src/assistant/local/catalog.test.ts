import { describe, expect, it } from 'vitest';
import { inputsIn, matchCatalog } from './catalog';
import type { CatalogWorkflow, FleetSnapshot } from './resolver';
import { understand } from './understand';

const workflows: CatalogWorkflow[] = [
  {
    name: 'cache_warmup',
    title: 'Nightly cache warm-up',
    description: 'Warms the CDN cache of one region before the morning traffic',
    builtIn: false,
    inputs: [{ key: 'region', label: 'Region', type: 'text', required: true }],
  },
  {
    name: 'db_backup',
    title: 'Database backup',
    description: 'Dumps a database to object storage',
    builtIn: false,
    inputs: [
      { key: 'database', label: 'Database', type: 'choice', required: true, choices: ['orders', 'users'] },
      { key: 'copies', label: 'Copies', type: 'number', required: true },
    ],
  },
  {
    name: 'rotate_keys',
    title: 'Rotate signing keys',
    description: 'Replaces the signing key',
    builtIn: false,
    inputs: [{ key: 'passphrase', label: 'Passphrase', type: 'secret', required: true }],
  },
  {
    name: 'health_check',
    title: 'Check system health',
    description: 'Agents and jobs',
    builtIn: true,
    inputs: [],
  },
];
const fleet: FleetSnapshot = {
  repositories: [{ name: 'myorg/frontend', defaultRef: 'main' }],
  agents: [{ hostname: 'web-01', environment: 'production', status: 'online' }],
  workflows,
};

const pendingOf = (u: ReturnType<typeof understand>) => {
  if (u.intent !== 'clarify') throw new Error(`expected a question, got ${u.intent}`);
  return { intent: u.clarification.about, ask: u.clarification.ask, known: u.clarification.known };
};

describe('operators’ workflows in the local assistant', () => {
  it('never starts from a question, and leaves built-ins to their own intents', () => {
    expect(matchCatalog('what happened in the nightly cache warm-up?', workflows)).toEqual([]);
    expect(matchCatalog('show the database backup', workflows)).toEqual([]);
    expect(matchCatalog('run check system health', workflows)).toEqual([]);
    expect(understand('run the nightly cache warm-up every day at 3:00', fleet).intent).not.toBe(
      'start_workflow',
    );
  });

  it('asks for each required input in turn, keeps what was given, and asks again with the reason for a refused value', () => {
    const first = understand('start a database backup', fleet);
    expect(first).toMatchObject({ intent: 'clarify', slots: { about: 'start_workflow', ask: 'database' } });
    if (first.intent !== 'clarify') return;
    expect(first.clarification.options.map((o) => o.label)).toEqual(['orders', 'users']);
    const refused = understand('payroll', fleet, pendingOf(first));
    expect(refused).toMatchObject({ intent: 'clarify', slots: { ask: 'database' } });
    if (refused.intent !== 'clarify') return;
    expect(refused.clarification.question).toMatch(/^`payroll`: Database must be one of/);
    const second = understand('orders', fleet, pendingOf(refused));
    expect(second).toMatchObject({ intent: 'clarify', slots: { ask: 'copies' } });
    expect(understand('3', fleet, pendingOf(second))).toEqual({
      intent: 'start_workflow',
      slots: { workflow: 'db_backup', database: 'orders', copies: 3 },
    });
  });

  it('moves on when the person asks something else instead of answering', () => {
    const first = understand('run the nightly cache warm-up', fleet);
    expect(understand('which agents are offline?', fleet, pendingOf(first)).intent).toBe('list_agents');
    expect(understand('what do you mean?', fleet, pendingOf(first)).intent).toBe('unknown');
    expect(understand('eu-west', fleet, pendingOf(first))).toEqual({
      intent: 'start_workflow',
      slots: { workflow: 'cache_warmup', region: 'eu-west' },
    });
  });

  it('never asks for a secret in the chat', () => {
    const u = understand('rotate signing keys', fleet);
    expect(u).toMatchObject({ intent: 'clarify', slots: { about: 'start_workflow', ask: '' } });
    if (u.intent !== 'clarify') return;
    expect(u.clarification.question).toContain('I don’t take secrets in the chat');
  });

  it('reads inputs written as key value, key=value, a quoted value, a choice, or a registered agent', () => {
    const inputs = [
      { key: 'region', label: 'Region', type: 'text' as const, required: true },
      { key: 'host', label: 'Host', type: 'hostname' as const, required: true },
    ];
    expect(inputsIn('warm region "eu west" on web-01', inputs, ['web-01'])).toEqual({
      region: 'eu west',
      host: 'web-01',
    });
    expect(inputsIn('region=us-east host: web-02', inputs)).toEqual({ region: 'us-east', host: 'web-02' });
  });
});
