import {
  type ChatReplyDto,
  type TriggerDto,
  type TriggerProposal,
  type TriggerWithSecretDto,
  triggerProposalSchema,
} from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/assistant/tools/registry';
import { newEffects } from '../../src/assistant/tools/registry';
import type { ApiClient } from '../helpers/http-client';
import { type AssistantServer, seedFleet, startAssistantServer } from './support/assistant-server';

let s: AssistantServer;
let alice: ApiClient;

beforeAll(async () => {
  s = await startAssistantServer();
  await seedFleet(s, {
    repositories: [{ name: 'myorg/frontend', defaultRef: 'main' }],
    agents: [{ hostname: 'web-01', environment: 'production' }],
  });
  alice = s.as('alice');
});
afterAll(async () => {
  await s?.close();
});

async function chat(message: string, as: ApiClient = alice): Promise<ChatReplyDto> {
  const res = await as.post<ChatReplyDto>('/v1/ai/chat', { message });
  expect(res.status, res.text).toBe(200);
  expect(res.body.reply.status).toBe('complete');
  return res.body;
}

function proposalOf(reply: ChatReplyDto['reply']): TriggerProposal {
  const call = reply.toolCalls.find((c) => c.name === 'propose_trigger');
  expect(call?.error ?? null, reply.content).toBeNull();
  return triggerProposalSchema.parse(call!.result);
}

async function triggers(): Promise<TriggerDto[]> {
  return (await s.api.get<{ triggers: TriggerDto[] }>('/v1/triggers')).body.triggers;
}

function ctx(): ToolContext {
  return {
    actor: 'alice',
    sessionId: '00000000-0000-4000-8000-000000000000',
    signal: new AbortController().signal,
    effects: newEffects(),
    linkRun: async () => {},
    conversationRunIds: async () => [],
  };
}

const invoke = (name: string, args: unknown) => s.app.assistant.tools.invoke(name, args, ctx());

describe('the chat proposes triggers and lists them; it never creates one', () => {
  it('"run a health check every weekday at 8:00 Berlin time" proposes a checked cron trigger, creates nothing', async () => {
    const { reply } = await chat('run a health check every weekday at 8:00 Berlin time');
    const proposal = proposalOf(reply);
    expect(proposal).toMatchObject({
      kind: 'trigger_proposal',
      trigger: {
        name: 'health-check-cron',
        workflow: 'health_check',
        inputs: {},
        enabled: true,
        source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', missed: 'skip' },
      },
      workflowTitle: 'Check system health',
      source: 'cron 0 8 * * 1-5 (Europe/Berlin)',
    });
    expect(proposal.nextFireTimes).toHaveLength(5);
    for (const at of proposal.nextFireTimes) {
      const berlin = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(at));
      expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 08:00$/);
    }
    expect(reply.content).toMatch(/Nothing is created yet/);
    expect(reply.content).toMatch(/Create trigger/);
    expect(await triggers()).toEqual([]);

    // The person's click: the card's body, sent as is to POST /v1/triggers by an admin.
    const created = await s.api.post<TriggerWithSecretDto>('/v1/triggers', proposal.trigger);
    expect(created.status, created.text).toBe(201);
    expect(created.body.nextFireTimes).toEqual(proposal.nextFireTimes);
    // An approver is not an admin: the same body is refused to them.
    expect((await alice.post('/v1/triggers', { ...proposal.trigger, name: 'other' })).status).toBe(403);
  });

  it('a second proposal of the same kind gets a free name; "list triggers" shows the stored one', async () => {
    const again = proposalOf((await chat('health check every weekday at 8:00 Berlin time')).reply);
    expect(again.trigger.name).toBe('health-check-cron-2');
    const { reply } = await chat('what triggers are there?');
    expect(reply.toolCalls.map((c) => c.name)).toEqual(['list_triggers']);
    expect(reply.content).toContain('`health-check-cron` → health_check');
    expect(reply.content).toContain('cron 0 8 * * 1-5 (Europe/Berlin)');
    expect(reply.toolCalls[0]!.result).toMatchObject({
      count: 1,
      triggers: [{ name: 'health-check-cron', enabled: true, timezone: 'Europe/Berlin', lastFirings: [] }],
    });
  });

  it('proposes event and scheduled deploy triggers with the inputs they need', async () => {
    const troubleshoot = proposalOf((await chat('troubleshoot every failed job of myorg/app')).reply);
    expect(troubleshoot.trigger).toMatchObject({
      name: 'troubleshoot-failure-job-failed',
      workflow: 'troubleshoot_failure',
      inputs: { job_id: '${{ event.job_id }}' },
      source: { type: 'event', on: 'job.failed', filter: 'event.repository == "myorg/app"' },
    });
    expect(troubleshoot.source).toBe('on job.failed when event.repository == "myorg/app"');
    expect(troubleshoot.nextFireTimes).toEqual([]);

    const deploy = proposalOf((await chat('every day at 02:30 UTC deploy the frontend')).reply);
    expect(deploy.trigger).toMatchObject({
      workflow: 'deploy_application',
      inputs: { repository: 'myorg/frontend', ref: 'main' },
      source: { type: 'cron', expression: '30 2 * * *', timezone: 'UTC' },
    });
    expect(deploy.nextFireTimes[0]).toMatch(/T02:30:00\.000Z$/);
    expect(await triggers()).toHaveLength(1);
  });

  it('propose_trigger runs the checks of a create: bad cron, unknown input, taken name, rate limit', async () => {
    const cron = (expression: string) => ({ type: 'cron', expression, timezone: 'UTC' });
    const bad = await invoke('propose_trigger', { workflow: 'health_check', source: cron('61 * * * *') });
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.error).toMatch(/source\.expression: /);

    const input = await invoke('propose_trigger', {
      workflow: 'health_check',
      source: cron('0 8 * * *'),
      inputs: { colour: 'blue' },
    });
    expect(!input.ok && input.error).toMatch(/inputs\.colour: workflow health_check has no input "colour"/);

    const taken = await invoke('propose_trigger', {
      workflow: 'health_check',
      name: 'health-check-cron',
      source: cron('0 8 * * *'),
    });
    expect(!taken.ok && taken.error).toMatch(/a trigger named health-check-cron exists already/);

    const often = await invoke('propose_trigger', { workflow: 'health_check', source: cron('* * * * * *') });
    expect(!often.ok && often.error).toMatch(/rate_limit: the schedule fires more than 10 time/);
    const allowed = await invoke('propose_trigger', {
      workflow: 'health_check',
      source: cron('* * * * * *'),
      rate_limit: 60,
    });
    expect(allowed).toMatchObject({ ok: true, result: { trigger: { rate_limit: 60 } } });

    const unknown = await invoke('propose_trigger', {
      workflow: 'no_such_flow',
      source: { type: 'webhook' },
    });
    expect(!unknown.ok && unknown.error).toMatch(/workflow: unknown workflow "no_such_flow"/);
    expect(await triggers()).toHaveLength(1);
  });

  it('asks when the workflow or the time is missing, with one-click complete requests', async () => {
    const noWorkflow = (await chat('create a trigger every day at 7:00')).reply;
    expect(noWorkflow.toolCalls).toEqual([]);
    expect(noWorkflow.content).toBe('Which workflow should the trigger start?');
    expect(noWorkflow.quickActions).toContainEqual({
      kind: 'send',
      label: 'Run a health check',
      message: 'Run a health check create a trigger every day at 7:00',
    });
    const noTime = (await chat('set up a trigger for the health check')).reply;
    expect(noTime.content).toMatch(/^When should the trigger start it\?/);
    expect(noTime.quickActions[0]).toMatchObject({
      kind: 'send',
      message: 'set up a trigger for the health check every weekday at 8:00 UTC',
    });
  });
});
