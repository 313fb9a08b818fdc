import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStepWait, type StepResult, type StepWait } from '../../engine/types';
import { analyseMetricsKind, checkAgentsKind, checkJobsKind, generateReportKind } from './health.kinds';
import { type FleetFixture, startFleetFixture } from './testing/fleet-fixture';

let f: FleetFixture;

beforeAll(async () => {
  f = await startFleetFixture();
});

afterAll(async () => {
  await f?.close();
});

const result = (r: StepResult | StepWait): StepResult => {
  if (isStepWait(r)) throw new Error(`expected a result, got a wait under ${r.wait.key}`);
  return r;
};

/** What a later step's `with` receives: the outputs as JSON, with integers as CEL gives them (BigInt). */
const viaExpressions = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (_k, v) =>
    typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v,
  );

describe('health kinds', () => {
  it('an empty fleet: no agents, no jobs, no success rate, and a report that says to register agents', async () => {
    const agents = result(await checkAgentsKind(f.fleet).run(f.ctx(), {}, null));
    expect(agents).toEqual({
      summary: 'No agents registered.',
      data: { agents: [] },
      outputs: { agents: [] },
    });

    const jobsKind = checkJobsKind(f.fleet);
    const jobs = result(
      await jobsKind.run(f.ctx(), jobsKind.params.parse({ stuck_after_minutes: 10 }), null),
    );
    expect(jobs.summary).toBe('0 job(s) running; 0 stuck beyond 10 min; 0 waiting for an agent.');
    expect(jobs.data).toEqual({ running: 0, stuck: [], waiting: [] });

    const metrics = result(await analyseMetricsKind(f.fleet).run(f.ctx(), {}, null));
    expect(metrics.summary).toMatch(/^1h: 0 job\(s\), no success rate yet, p50 n\/a, p95 n\/a; 24h: /);

    const report = generateReportKind(undefined);
    const params = report.params.parse(
      viaExpressions({
        agents: agents.outputs!.agents,
        jobs: jobs.outputs!.jobs,
        metrics: metrics.outputs!.windows,
      }),
    );
    expect(params.jobs.running).toBe(0);
    const ctx = f.ctx();
    const r = result(await report.run(ctx, params, null));
    const recommendation = 'No agents are registered: run the register_agent workflow for each server.';
    expect(r.summary).toBe(`Report ready with 1 recommendation(s): ${recommendation}`);
    expect(r.data).toMatchObject({
      markdown: expect.stringContaining('# DeployBot health report'),
      json: { generatedAt: expect.any(String), agents: [], recommendations: [recommendation] },
    });
    expect(r.outputs).toEqual({ recommendations: [recommendation] });
  });

  it('reads time from the clock: a job running 40 minutes is stuck, its agent silent is offline', async () => {
    await f.repository('demo/app');
    const { agent, agentId } = await f.enroll('h-1');
    const job = await f.fleet.jobs.create({
      repository: 'demo/app',
      ref: 'main',
      agent: agentId,
      createdBy: 'alice',
    });
    await f.report(agent, { jobId: job.id, status: 'running' });
    f.clock.advance(40 * 60_000);

    const jobsKind = checkJobsKind(f.fleet);
    const params = jobsKind.params.parse({});
    expect(params.stuck_after_minutes).toBe(30);
    const jobs = result(await jobsKind.run(f.ctx(), params, null));
    expect(jobs.summary).toBe(
      `1 job(s) running; 1 stuck beyond 30 min: ${job.id.slice(0, 8)} (demo/app on h-1, 40 min); 0 waiting for an agent.`,
    );
    const agents = result(await checkAgentsKind(f.fleet).run(f.ctx(), {}, null));
    expect(agents.summary).toBe('1 agent(s), 0 online. h-1: offline, last heartbeat 40 min ago.');

    const report = generateReportKind(async (topic) => ({ text: `about ${topic}`, source: 'model' }));
    const r = result(
      await report.run(
        f.ctx(),
        report.params.parse(
          viaExpressions({ agents: agents.outputs!.agents, jobs: jobs.outputs!.jobs, metrics: [] }),
        ),
        null,
      ),
    );
    expect(r.summary).toMatch(/^Report ready with 2 recommendation\(s\): Bring h-1 back/);
    expect((r.data as { markdown: string }).markdown).toContain(
      '## Explanation\n\nabout health\n\n_Written by the AI model from the facts above._',
    );
    expect((r.data as { explanation: unknown }).explanation).toEqual({
      text: 'about health',
      source: 'model',
    });
  });

  it('params: a CEL integer is a number; a threshold must be positive', () => {
    const kind = checkJobsKind(f.fleet);
    expect(kind.params.parse({ stuck_after_minutes: 10n })).toEqual({ stuck_after_minutes: 10 });
    expect(kind.params.safeParse({ stuck_after_minutes: 0 }).success).toBe(false);
    expect(kind.params.safeParse({ stuck_after_minutes: 'ten' }).success).toBe(false);
  });
});
