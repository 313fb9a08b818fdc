import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { StepRegistry } from './step-registry';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('StepRegistry', () => {
  it('kills a step group a killed agent left behind, and only if it still runs that job', async () => {
    const workdir = mkdtempSync(join(tmpdir(), 'deploybot-steps-'));
    dirs.push(workdir);
    const jobId = '11111111-2222-4333-8444-555555555555';
    // A step leader with a grandchild, in its own group, as runProcessGroup starts them.
    const orphan = spawn('/bin/sh', ['-c', 'sleep 300 & wait'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, DEPLOYBOT_JOB_ID: jobId },
    });
    const stranger = spawn('/bin/sh', ['-c', 'sleep 300'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, DEPLOYBOT_JOB_ID: 'other' },
    });
    const registry = new StepRegistry(workdir);
    registry.record(orphan.pid!, jobId);
    registry.record(stranger.pid!, jobId); // a reused pid: its environment names another job
    await new Promise((r) => setTimeout(r, 100));

    const killed = new StepRegistry(workdir).reapLeftovers(pino({ level: 'silent' }));
    expect(killed).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(orphan.pid!)).toBe(false);
    expect(alive(stranger.pid!)).toBe(true);
    expect(readdirSync(join(workdir, '.steps'))).toEqual([]);
    process.kill(-stranger.pid!, 'SIGKILL');
  });
});
