import type { AgentDto, JobDto } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { causeOf, groupFailures, remedyFor, unresolvedFailures } from './failure-diagnosis';

const agent = (hostname: string, status: AgentDto['status'], runningJobs = 0): AgentDto => ({
  id: `id-${hostname}`,
  hostname,
  environment: 'production',
  labels: {},
  status,
  draining: status === 'draining',
  version: '0.1.0',
  gitVersion: 'git version 2.39.5',
  workdirWritable: true,
  address: '127.0.0.1',
  lastHeartbeatAt: null,
  connectedAt: null,
  disconnectedAt: null,
  runningJobs,
  createdAt: '2026-01-01T00:00:00.000Z',
  registeredBy: 'test',
});

const job = (over: Partial<JobDto>): JobDto => ({
  id: 'job-1',
  action: 'deploy',
  release: 'job-1',
  previousRelease: null,
  repository: 'demo/app',
  repositoryUrl: '/srv/git/app',
  ref: 'main',
  sha: 'a'.repeat(40),
  agentId: 'id-web-01',
  agentHostname: 'web-01',
  status: 'failed',
  exitCode: null,
  error: 'boom',
  cause: 'step_failed',
  step: 'build',
  releaseDir: null,
  attempt: 1,
  retryOf: null,
  idempotencyKey: null,
  runId: null,
  createdBy: 'test',
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  ...over,
});

describe('failure diagnosis', () => {
  it('counts a lost job as "agent offline" while its agent is away, "agent lost" once it is back', () => {
    const lost = job({ cause: 'agent_lost' });
    expect(causeOf(lost, [agent('web-01', 'offline')])).toBe('agent_offline');
    expect(causeOf(lost, [agent('web-01', 'online')])).toBe('agent_lost');
  });

  it('drops failures a later retry fixed', () => {
    const failed = job({ id: 'f1' });
    const other = job({ id: 'f2' });
    const fixed = job({ id: 'r1', status: 'success', retryOf: 'f1' });
    expect(unresolvedFailures([fixed, failed, other]).map((j) => j.id)).toEqual(['f2']);
  });

  it('groups by cause with agents and repositories, largest group first', () => {
    const groups = groupFailures(
      [
        job({ id: '1', cause: 'step_failed' }),
        job({ id: '2', cause: 'ref_not_found', repository: 'demo/other' }),
        job({ id: '3', cause: 'step_failed', agentHostname: 'web-02', agentId: 'id-web-02' }),
      ],
      [agent('web-01', 'online'), agent('web-02', 'online')],
    );
    expect(groups.map((g) => [g.cause, g.count, g.agents, g.repositories])).toEqual([
      ['step_failed', 2, ['web-01', 'web-02'], ['demo/app']],
      ['ref_not_found', 1, ['web-01'], ['demo/other']],
    ]);
  });

  describe('remedies', () => {
    it('retries a lost job on a healthy agent while its own is offline', () => {
      const r = remedyFor(
        job({ cause: 'agent_lost' }),
        'agent_offline',
        [agent('web-01', 'offline'), agent('web-02', 'online', 1), agent('web-03', 'online', 0)],
        null,
      );
      expect(r).toMatchObject({ action: 'retry', agent: 'web-03' });
    });

    it('retries on the same agent once it is back', () => {
      const r = remedyFor(
        job({ cause: 'agent_lost' }),
        'agent_lost',
        [agent('web-01', 'online'), agent('web-02', 'online')],
        null,
      );
      expect(r).toMatchObject({ action: 'retry', agent: 'web-01' });
    });

    it('waits for the agent when no other is online', () => {
      const r = remedyFor(job({ cause: 'agent_lost' }), 'agent_offline', [agent('web-01', 'offline')], null);
      expect(r).toMatchObject({ action: 'wait_and_retry', agent: 'web-01' });
    });

    it('never retries a missing ref or an invalid manifest', () => {
      expect(
        remedyFor(
          job({ cause: 'ref_not_found', ref: 'nope' }),
          'ref_not_found',
          [agent('web-01', 'online')],
          null,
        ),
      ).toMatchObject({
        action: 'manual',
        reason: expect.stringContaining('"nope" does not exist'),
      });
      expect(remedyFor(job({}), 'manifest_invalid', [agent('web-01', 'online')], null).action).toBe('manual');
    });

    it('retries a clone failure only when the repository is reachable again', () => {
      const agents = [agent('web-01', 'online')];
      expect(remedyFor(job({}), 'clone_failed', agents, true)).toMatchObject({
        action: 'retry',
        agent: 'web-01',
      });
      expect(remedyFor(job({}), 'clone_failed', agents, false).action).toBe('manual');
    });

    it('names the failed step and its exit code', () => {
      const r = remedyFor(
        job({ exitCode: 2, step: 'test' }),
        'step_failed',
        [agent('web-01', 'online')],
        null,
      );
      expect(r.reason).toContain('step "test" exited 2');
    });
  });
});
