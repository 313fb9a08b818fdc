import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * Remembers the process group of every manifest step while it runs (`DIR/.steps/<pgid>` holding the job id),
 * so an agent that was killed outright (SIGKILL, OOM, power to the agent only) can end the steps it left
 * running the next time it starts. A group is only killed if its leader still carries that job's
 * DEPLOYBOT_JOB_ID: a reused pid belonging to something else is left alone.
 */
export class StepRegistry {
  private readonly dir: string;

  constructor(workdir: string) {
    this.dir = join(workdir, '.steps');
  }

  record(pgid: number, jobId: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, String(pgid)), jobId);
  }

  forget(pgid: number): void {
    rmSync(join(this.dir, String(pgid)), { force: true });
  }

  /** Kills step groups a previous agent process left behind; returns how many it killed. */
  reapLeftovers(logger: Logger): number {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0; // no step ever ran here
    }
    let killed = 0;
    for (const name of names.filter((n) => /^\d+$/.test(n))) {
      const pgid = Number(name);
      const jobId = readFileSync(join(this.dir, name), 'utf8').trim();
      if (leaderRunsJob(pgid, jobId)) {
        try {
          process.kill(-pgid, 'SIGKILL');
          killed++;
          logger.warn({ pgid, jobId }, 'killed a manifest step left running by a previous agent process');
        } catch {
          // already gone
        }
      }
      this.forget(pgid);
    }
    return killed;
  }
}

function leaderRunsJob(pid: number, jobId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`DEPLOYBOT_JOB_ID=${jobId}`);
  } catch {
    return false; // no such process (or not ours to read)
  }
}
