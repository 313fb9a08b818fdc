import type { AgentDto, JobDto } from '@deploybot/shared';
import type { AppStore } from '../types';

/** Ack of `fleet:subscribe`: the agents and recent jobs now; status events that raced it are newer by time. */
export function onFleetSnapshot(store: AppStore, snapshot: { agents: AgentDto[]; jobs: JobDto[] }): void {
  store.setState((s) => {
    const agents: Record<string, AgentDto> = {};
    for (const a of snapshot.agents) agents[a.id] = a;
    const jobs: Record<string, JobDto> = { ...s.jobs };
    for (const j of snapshot.jobs) {
      const known = jobs[j.id];
      if (!known || !isNewerJob(known, j)) jobs[j.id] = j;
    }
    return { agents, jobs, fleetSynced: true };
  });
}

const JOB_ORDER = { pending: 0, running: 1, success: 2, failed: 2, cancelled: 2 } as const;

/** True when `a` is further along than `b` (a job only moves forward: pending → running → finished). */
export function isNewerJob(a: JobDto, b: JobDto): boolean {
  return JOB_ORDER[a.status] > JOB_ORDER[b.status];
}
