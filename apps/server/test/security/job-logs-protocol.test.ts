import type { JobDto, LogLine } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeAgent } from './support/fake-agent';
import { createGitRepo, createJob, enrollAgent, registerRepository } from './support/fleet';
import { type Client, client } from './support/http';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';

/**
 * `job:logs` as the controller sees it: every batch is answered with a receipt (so an agent can send again what
 * was not answered), a batch sent twice is stored once, a log stops at its cap with a marker, and a job that ends
 * with lines missing says so in its log. Driven by a fake agent, which can send what a real one would not.
 */

const MAX_LINES = 50;
let s: SecurityServer;
let admin: Client;
const agents: FakeAgent[] = [];
let removeRepo: () => Promise<void> = async () => {};

beforeAll(async () => {
  s = await startSecurityServer({
    fleet: { jobLogMaxLines: MAX_LINES, jobLogMaxBytes: 64 * 1024 },
    captureLogs: true,
  });
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  const repo = await createGitRepo();
  removeRepo = repo.remove;
  await registerRepository(s, 'logs/app', repo.dir);
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await s?.close();
  await removeRepo();
});

const at = () => new Date().toISOString();
const lines = (from: number, count: number, text = (seq: number) => `line ${seq}`): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    stream: 'stdout',
    line: text(from + i),
    at: at(),
  }));

async function jobOn(hostname: string): Promise<{ agent: FakeAgent; job: JobDto }> {
  const enrolled = await enrollAgent(s, hostname);
  agents.push(enrolled.agent);
  const job = await createJob(s, 'logs/app', hostname);
  const running = await enrolled.agent.ask('job:status', { jobId: job.id, status: 'running' });
  expect(running).toEqual({ data: { ok: true } });
  return { agent: enrolled.agent, job };
}

async function stored(jobId: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for (let after = -1; ; ) {
    const res = await admin.get<{ lines: LogLine[]; next: number | null }>(
      `/v1/jobs/${jobId}/logs?after=${after}&limit=10000`,
    );
    expect(res.status).toBe(200);
    lines.push(...res.body.lines);
    if (res.body.next === null) return lines;
    after = res.body.next;
  }
}

describe('job:logs receipts', () => {
  it('answers each batch with what it stored; a batch sent again is stored once', async () => {
    const { agent, job } = await jobOn('logs-receipts');
    const batch = { jobId: job.id, lines: lines(0, 3) };
    expect(await agent.ask('job:logs', batch)).toEqual({ data: { stored: 3, capped: false } });
    expect(await agent.ask('job:logs', batch)).toEqual({ data: { stored: 0, capped: false } });
    expect((await stored(job.id)).map((l) => l.line)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('refuses a batch bigger than one message may be, and keeps the connection', async () => {
    const { agent, job } = await jobOn('logs-too-big');
    const big = { jobId: job.id, lines: lines(0, 30, () => 'x'.repeat(15_000)) };
    const answer = (await agent.ask('job:logs', big)) as { error?: { code: string; message: string } };
    expect(answer.error?.code).toBe('validation_failed');
    expect(answer.error?.message).toMatch(/at most \d+ bytes/);
    expect(agent.connected).toBe(true);
    expect(await stored(job.id)).toEqual([]);
  });
});

describe('the cap on a job log', () => {
  it('stores up to the cap, then one marker line; later lines are refused as capped', async () => {
    const { agent, job } = await jobOn('logs-capped');
    expect(await agent.ask('job:logs', { jobId: job.id, lines: lines(0, 40) })).toEqual({
      data: { stored: 40, capped: false },
    });
    expect(await agent.ask('job:logs', { jobId: job.id, lines: lines(40, 40) })).toEqual({
      data: { stored: MAX_LINES - 40, capped: true },
    });
    expect(await agent.ask('job:logs', { jobId: job.id, lines: lines(80, 5) })).toEqual({
      data: { stored: 0, capped: true },
    });
    const log = await stored(job.id);
    expect(log).toHaveLength(MAX_LINES);
    expect(log.slice(0, -1).map((l) => l.line)).toEqual(lines(0, MAX_LINES - 1).map((l) => l.line));
    expect(log.at(-1)).toMatchObject({ seq: MAX_LINES - 1, stream: 'system' });
    expect(log.at(-1)!.line).toMatch(/^\[deploybot\] log truncated: .*\(50 lines or 64 KiB\)/);

    // Ending the job adds nothing: a capped log says so already.
    await agent.ask('job:status', { jobId: job.id, status: 'success', exitCode: 0 });
    expect(await stored(job.id)).toHaveLength(MAX_LINES);
  });

  it('caps by bytes as well as lines', async () => {
    const { agent, job } = await jobOn('logs-capped-bytes');
    const answer = (await agent.ask('job:logs', {
      jobId: job.id,
      lines: lines(0, 10, () => 'b'.repeat(10_000)),
    })) as { data: { stored: number; capped: boolean } };
    expect(answer.data).toEqual({ stored: 7, capped: true });
    const log = await stored(job.id);
    expect(log.slice(0, 6).every((l) => l.line.length === 10_000)).toBe(true);
    expect(log[6]!.line).toMatch(/^\[deploybot\] log truncated/);
  });
});

describe('a job that ends with lines missing', () => {
  it('gets a last line saying how many never arrived, even if it succeeded', async () => {
    const { agent, job } = await jobOn('logs-gaps');
    await agent.ask('job:logs', { jobId: job.id, lines: lines(0, 3) });
    await agent.ask('job:logs', { jobId: job.id, lines: lines(5, 2) });
    expect(await agent.ask('job:status', { jobId: job.id, status: 'success', exitCode: 0 })).toEqual({
      data: { ok: true },
    });
    const log = await stored(job.id);
    expect(log.map((l) => l.seq)).toEqual([0, 1, 2, 5, 6, 7]);
    expect(log.at(-1)).toMatchObject({ stream: 'system' });
    expect(log.at(-1)!.line).toBe(
      '[deploybot] this log is incomplete: 2 of the lines numbered 0-6 never reached the controller',
    );
    expect((await admin.get<JobDto>(`/v1/jobs/${job.id}`)).body.status).toBe('success');
  });

  it('adds nothing to a complete log', async () => {
    const { agent, job } = await jobOn('logs-whole');
    await agent.ask('job:logs', { jobId: job.id, lines: lines(0, 4) });
    await agent.ask('job:status', { jobId: job.id, status: 'failed', cause: 'step_failed', exitCode: 1 });
    expect((await stored(job.id)).map((l) => l.seq)).toEqual([0, 1, 2, 3]);
  });
});

describe('log context', () => {
  it("a job message's log lines carry the job's id", async () => {
    const { agent } = await jobOn('ctx-01');
    // Not this agent's job: refused, and the line saying so names the job.
    const stranger = '00000000-0000-4000-8000-000000000001';
    const refused = await agent.ask('job:status', { jobId: stranger, status: 'running' });
    expect(refused).toHaveProperty('error');
    const line = s
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg?: string; jobId?: string })
      .find((l) => l.msg === 'agent message refused' && l.jobId === stranger);
    expect(line, s.logs().slice(-2000)).toBeDefined();
  });
});
