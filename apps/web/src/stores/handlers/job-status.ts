import type { JobDto } from '@deploybot/shared';
import type { AppStore } from '../types';
import { isNewerJob } from './fleet-snapshot';

/** `job:status`: a job's new state; a late event never moves a finished job back. */
export function onJobStatus(store: AppStore, job: JobDto): void {
  const known = store.getState().jobs[job.id];
  if (known && isNewerJob(known, job)) return;
  store.setState((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
}
