/**
 * Job logs end to end, with a real agent process running real manifests: long lines and a lot of output arrive
 * whole and in order, and a log over the controller's cap ends in a visible marker, never silently.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobDto, LogLine } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Controller,
  type EnrolledAgent,
  enrollAgent,
  getJob,
  jobFinished,
  registerRepository,
  startController,
  waitFor,
  waitForJob,
} from './support/fleet-harness';
import { git } from './support/git-repo';

const HOST = 'logs-01';
/** Small enough that a test reaches it with a few MB of output. */
const CAP = { jobLogMaxLines: 30_000, jobLogMaxBytes: 8 * 1024 * 1024 };
const LONG = 15_000;

/**
 * 300 lines of 15 KB (4.5 MB: Socket.IO's limit is 1 MB a message), then 10,000 short ones on stdout and stderr,
 * then a last line without a newline.
 */
const LOUD = `steps:
  - name: long-lines
    run: |
      i=0
      while [ $i -lt 300 ]; do printf 'long %s %0${LONG}d\\n' "$i" 0; i=$((i+1)); done
  - name: many-lines
    run: |
      seq 1 5000 | sed 's/^/out /'
      seq 1 5000 | sed 's/^/err /' >&2
      printf 'the end'
`;

/** 10 MB in 40,000 lines: over both caps. */
const FLOOD = `steps:
  - name: flood
    run: |
      i=0
      while [ $i -lt 40 ]; do seq 1 1000 | sed "s/^/$i /;s/$/ $(printf '%0240d' 0)/"; i=$((i+1)); done
      echo done flooding
`;

let c: Controller;
let agent: EnrolledAgent;

async function commitRepo(dir: string, manifest: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '--quiet', '--initial-branch=main');
  await writeFile(join(dir, 'deploybot.yml'), manifest);
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '-m', 'manifest');
  return dir;
}

async function runJob(repository: string): Promise<JobDto> {
  const res = await c.api.post<JobDto>('/v1/jobs', { repository, ref: 'main', agent: HOST });
  if (res.status !== 201) throw new Error(`POST /v1/jobs answered ${res.status}: ${res.text}`);
  return waitForJob(c, res.body.id, jobFinished, 'to finish', 90_000);
}

/** Every stored line of a job, page by page. */
async function allLogs(jobId: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for (;;) {
    const after = lines.at(-1)?.seq ?? -1;
    const res = await c.api.get<{ lines: LogLine[] }>(`/v1/jobs/${jobId}/logs?after=${after}&limit=10000`);
    if (res.status !== 200) throw new Error(`GET logs answered ${res.status}: ${res.text}`);
    if (res.body.lines.length === 0) return lines;
    lines.push(...res.body.lines);
  }
}

beforeAll(async () => {
  c = await startController('logs', CAP);
  await registerRepository(c, 'logs/loud', await commitRepo(join(c.tmp, 'repos', 'loud'), LOUD));
  await registerRepository(c, 'logs/flood', await commitRepo(join(c.tmp, 'repos', 'flood'), FLOOD));
  agent = await enrollAgent(c, HOST);
}, 120_000);

afterAll(async () => {
  await c?.close();
});

describe('job logs from a real agent', () => {
  it('stores every line of 15 KB lines and 10,000 more, in order, and the job succeeds', async () => {
    const job = await runJob('logs/loud');
    expect(job.status, job.error ?? '').toBe('success');
    const lines = await allLogs(job.id);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));

    const long = lines.filter((l) => l.line.startsWith('long '));
    expect(long).toHaveLength(300);
    long.forEach((l, i) => {
      expect(l.stream).toBe('stdout');
      expect(l.line).toBe(`long ${i} ${'0'.repeat(LONG)}`);
    });
    const out = lines.filter((l) => l.stream === 'stdout' && l.line.startsWith('out '));
    const err = lines.filter((l) => l.stream === 'stderr');
    expect(out.map((l) => l.line)).toEqual(Array.from({ length: 5000 }, (_, i) => `out ${i + 1}`));
    expect(err.map((l) => l.line)).toEqual(Array.from({ length: 5000 }, (_, i) => `err ${i + 1}`));
    expect(lines.some((l) => l.line === 'the end')).toBe(true);
    expect(lines.filter((l) => l.line.startsWith('[deploybot]'))).toEqual([]);
    // Nothing was too big for the connection: the agent never had to reconnect.
    expect(agent.agent.output().match(/connected to the controller/g)).toHaveLength(1);
  });

  it('caps a job log with a marker line where the cap was reached; the job still ends as it did', async () => {
    const job = await runJob('logs/flood');
    expect(job.status, job.error ?? '').toBe('success');
    const lines = await allLogs(job.id);
    expect(lines.length).toBeLessThanOrEqual(CAP.jobLogMaxLines);
    expect(lines.reduce((n, l) => n + Buffer.byteLength(l.line), 0)).toBeLessThanOrEqual(CAP.jobLogMaxBytes);
    const marker = lines.at(-1)!;
    expect(marker).toMatchObject({ stream: 'system' });
    expect(marker.line).toMatch(
      /^\[deploybot\] log truncated: this job's log reached the controller's limit \(30000 lines or 8 MiB\)/,
    );
    // Everything before the marker is there, in order.
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    expect(lines.some((l) => l.line === 'done flooding')).toBe(false);

    // The agent was told, stopped sending that job's lines, and goes on with the next job.
    await waitFor(
      'the agent to log that the controller capped the job',
      async () => agent.agent.output(),
      (out) => out.includes('the controller keeps no more lines of this job'),
    );
    const next = await runJob('logs/loud');
    expect(next.status).toBe('success');
    expect((await getJob(c, next.id)).status).toBe('success');
  });
});
