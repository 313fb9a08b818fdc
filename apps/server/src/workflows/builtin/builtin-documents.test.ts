import {
  ENVIRONMENT_RE,
  GIT_REF_RE,
  REPOSITORY_NAME_RE,
  type WorkflowDocument,
  workflowDocumentSchema,
} from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../engine/language/compile';
import { parseDocumentText } from '../../engine/language/document';
import { StepKindRegistry } from '../../engine/step-kind';
import type { ExpressionScope, WorkflowDefinition } from '../../engine/types';
import { fleetStepKinds } from '../kinds';
import { type FleetFixture, startFleetFixture } from '../kinds/testing/fleet-fixture';
import { BUILT_IN_DOCUMENTS } from './index';

let f: FleetFixture;
let registry: StepKindRegistry;

beforeAll(async () => {
  f = await startFleetFixture();
  registry = new StepKindRegistry(fleetStepKinds(f.deps));
});

afterAll(async () => {
  await f?.close();
});

const documentOf = (name: string): WorkflowDocument => {
  const text = BUILT_IN_DOCUMENTS.find((d) => d.name === name)!.text;
  const parsed = parseDocumentText(text, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return workflowDocumentSchema.parse(parsed.document.value);
};

const compiled = (name: string): WorkflowDefinition => {
  const parsed = parseDocumentText(BUILT_IN_DOCUMENTS.find((d) => d.name === name)!.text, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const result = compileWorkflow(parsed.document.value, registry, { version: 1, builtIn: true });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.definition;
};

const scope = (inputs: Record<string, unknown>, steps: ExpressionScope['steps'] = {}): ExpressionScope => ({
  inputs,
  steps,
  run: { id: 'run-1', started_by: 'alice' },
});

const stepsOf = (doc: WorkflowDocument) =>
  doc.steps.map((s) => [s.id, s.title, s.uses, s.needs ?? null, s.gate ?? false]);

describe('the built-in workflows as documents', () => {
  it('are the four, in the order the UI lists them, read from their files', () => {
    expect(BUILT_IN_DOCUMENTS.map((d) => d.name)).toEqual([
      'register_agent',
      'deploy_application',
      'troubleshoot_failure',
      'health_check',
    ]);
    for (const { name } of BUILT_IN_DOCUMENTS) expect(documentOf(name).name).toBe(name);
    expect(BUILT_IN_DOCUMENTS[0]!.text).toMatch(/^# /);
  });

  it('compile against the fleet’s step kinds, every kind pinned to its version', () => {
    for (const { name, text } of BUILT_IN_DOCUMENTS) {
      const parsed = parseDocumentText(text, 'yaml');
      if (!parsed.ok) throw new Error(`${name}: ${JSON.stringify(parsed.issues)}`);
      const compiled = compileWorkflow(parsed.document.value, registry, { version: 1, builtIn: true });
      expect(compiled.ok ? [] : compiled.issues, name).toEqual([]);
      for (const step of documentOf(name).steps) {
        expect(step.uses, `${name}.${step.id}`).toMatch(/@1$/);
        expect(registry.resolve(step.uses), `${name}.${step.id}`).toBeDefined();
      }
    }
  });

  it('deploy_application: the same inputs and patterns as the job API, four steps, two gates, a queue per app and environment', () => {
    const doc = documentOf('deploy_application');
    expect(doc.title).toBe('Deploy an application');
    expect(doc.inputs.map((i) => [i.key, i.type, i.required, i.placeholder, i.pattern])).toEqual([
      ['repository', 'text', true, 'demo/hello-app', REPOSITORY_NAME_RE.source],
      ['ref', 'text', true, 'main', GIT_REF_RE.source],
      ['environment', 'text', false, 'production', ENVIRONMENT_RE.source],
    ]);
    expect(stepsOf(doc)).toEqual([
      ['validate_repository', 'Validate repository', 'fleet.resolve_ref@1', null, false],
      ['select_agent', 'Select target agent', 'fleet.select_agent@1', null, true],
      ['create_job', 'Create deployment job', 'fleet.deploy_job@1', null, true],
      ['monitor_job', 'Monitor deployment', 'fleet.wait_job@1', null, false],
    ]);
    expect(Object.keys(doc.outputs)).toEqual(['sha', 'agent_id', 'agent_hostname', 'job_id']);
    expect(doc.concurrency?.on_conflict).toBe('queue');
  });

  it('register_agent: check connectivity waits durably for the agent, then its connection is reviewed; one run per host name', () => {
    const doc = documentOf('register_agent');
    expect(doc.inputs.map((i) => [i.key, i.type, i.required, i.pattern ?? null])).toEqual([
      ['hostname', 'hostname', true, null],
      ['environment', 'text', false, ENVIRONMENT_RE.source],
      ['labels', 'text', false, '^[a-z0-9_.=, -]{0,512}$'],
    ]);
    expect(stepsOf(doc)).toEqual([
      ['validate_hostname', 'Validate hostname', 'fleet.issue_join_token@1', null, false],
      ['check_connectivity', 'Check connectivity', 'fleet.check_connectivity@1', null, true],
      ['register', 'Register agent', 'fleet.register_agent@1', null, true],
      ['configure', 'Configure agent', 'fleet.configure_agent@1', null, false],
    ]);
    expect(doc.steps.at(-1)!.retry).toEqual({ attempts: 3, backoff: '1s' });
    expect(Object.keys(doc.outputs)).toEqual(['join_token', 'agent_id']);
    expect(doc.concurrency?.on_conflict).toBe('refuse');
  });

  it('troubleshoot_failure: the steps after the diagnosis run only when there is something to fix', () => {
    const doc = documentOf('troubleshoot_failure');
    expect(stepsOf(doc)).toEqual([
      ['identify_issue', 'Identify issue', 'troubleshoot.identify_issue@1', null, false],
      ['gather_logs', 'Gather logs', 'troubleshoot.gather_logs@1', null, false],
      ['suggest_fix', 'Suggest fix', 'troubleshoot.suggest_fix@1', null, true],
      ['verify_fix', 'Verify fix', 'fleet.wait_job@1', null, false],
    ]);
    expect(doc.steps.map((s) => s.if ?? null)).toEqual([
      null,
      'has(steps.identify_issue.outputs.target_job_id)',
      'has(steps.identify_issue.outputs.target_job_id)',
      'has(steps.suggest_fix.outputs.retry_job_id)',
    ]);
    expect(Object.keys(doc.outputs)).toEqual(['target_job_id', 'retry_job_id']);
  });

  it('health_check: agents and jobs are checked side by side, metrics after both, the report last', () => {
    const doc = documentOf('health_check');
    expect(stepsOf(doc)).toEqual([
      ['check_agents', 'Check all agents', 'health.check_agents@1', [], false],
      ['check_jobs', 'Check running jobs', 'health.check_jobs@1', [], false],
      [
        'analyse_metrics',
        'Analyse metrics',
        'health.analyse_metrics@1',
        ['check_agents', 'check_jobs'],
        false,
      ],
      ['generate_report', 'Generate report', 'health.generate_report@1', null, false],
    ]);
    expect(doc.inputs).toEqual([
      {
        key: 'stuck_after_minutes',
        label: 'A running job is stuck after (minutes)',
        type: 'number',
        required: false,
        placeholder: '30',
      },
    ]);
  });

  describe('compiled', () => {
    it('deploy_application: the title names the agent once chosen; the outputs the web app reads; one queue per app and environment', () => {
      const def = compiled('deploy_application');
      const inputs = { repository: 'demo/app', ref: 'main' };
      expect(def.runTitle!({ steps: {} }, scope(inputs))).toBe('Deploy demo/app@main');
      const chosen = { outputs: { agent_id: 'a-1', agent_hostname: 'web-1' }, status: 'completed' };
      expect(def.runTitle!({ steps: {} }, scope(inputs, { select_agent: chosen }))).toBe(
        'Deploy demo/app@main → web-1',
      );
      expect(
        def.runOutputs!(
          scope(inputs, {
            validate_repository: { outputs: { sha: 'f'.repeat(40) }, status: 'completed' },
            select_agent: chosen,
          }),
        ),
      ).toEqual({ sha: 'f'.repeat(40), agent_id: 'a-1', agent_hostname: 'web-1' });
      expect(def.concurrency).toMatchObject({ onConflict: 'queue' });
      expect(def.concurrency!.key(inputs)).toBe('deploy:demo/app:*');
      expect(def.concurrency!.key({ ...inputs, environment: 'staging' })).toBe('deploy:demo/app:staging');
    });

    it('start checks refuse what a start can know, naming the input', async () => {
      await f.repository('demo/app');
      await f.enroll('taken-1');
      const deploy = compiled('deploy_application');
      expect(await deploy.checkStart!({ repository: 'demo/nope', ref: 'main' })).toEqual([
        { path: 'repository', message: 'repository demo/nope is not registered (registered: demo/app)' },
      ]);
      expect(await deploy.checkStart!({ repository: 'demo/app', ref: 'nope' })).toEqual([
        { path: 'ref', message: expect.stringMatching(/^ref "nope" not found in /) },
      ]);
      expect(await deploy.checkStart!({ repository: 'demo/app', ref: 'main' })).toEqual([]);
      const register = compiled('register_agent');
      expect(await register.checkStart!({ hostname: 'taken-1' })).toEqual([
        { path: 'hostname', message: 'an agent named taken-1 is already registered' },
      ]);
      expect(await register.checkStart!({ hostname: 'free-1', labels: 'region=eu' })).toEqual([]);
      expect(register.concurrency).toMatchObject({ onConflict: 'refuse' });
      expect(register.concurrency!.key({ hostname: 'web-1' })).toBe('register:web-1');
      expect(await compiled('troubleshoot_failure').checkStart!({})).toEqual([]);
    });

    it('register_agent: the join token reaches the run’s context still sealed, so only a reveal opens it', () => {
      const def = compiled('register_agent');
      const issued = (join_token: unknown) =>
        scope({ hostname: 'web-1' }, { validate_hostname: { outputs: { join_token }, status: 'completed' } });
      expect(def.runOutputs!(issued({ $secret: 'sealed-text' }))).toEqual({
        join_token: { $secret: 'sealed-text' },
      });
      expect(def.runOutputs!(issued('dbj_opened'))).toEqual({ join_token: 'dbj_opened' });
    });

    it('troubleshoot_failure: with no target, the rest is skipped and no outputs appear', () => {
      const def = compiled('troubleshoot_failure');
      const nothing = scope({}, { identify_issue: { outputs: {}, status: 'completed' } });
      expect(def.steps.map((s) => (s.condition ? s.condition.test(nothing) : null))).toEqual([
        null,
        false,
        false,
        false,
      ]);
      const target = scope(
        {},
        { identify_issue: { outputs: { target_job_id: 'j-1' }, status: 'completed' } },
      );
      expect(def.steps[1]!.condition!.test(target)).toBe(true);
      expect(def.runOutputs!(target)).toEqual({ target_job_id: 'j-1' });
    });

    it('health_check: an absent threshold is the kind’s default, a given one is used', async () => {
      const step = compiled('health_check').steps[1]!;
      if (step.kind !== 'automatic') throw new Error('check_jobs is automatic');
      const summaryWith = async (inputs: Record<string, unknown>) => {
        const r = await step.run({ ...f.ctx(), scope: scope(inputs) });
        return 'summary' in r ? r.summary : r.wait.summary;
      };
      expect(await summaryWith({})).toMatch(/ stuck beyond 30 min;/);
      expect(await summaryWith({ stuck_after_minutes: 10 })).toMatch(/ stuck beyond 10 min;/);
    });
  });
});
