import { appStore } from '../stores/store';

/** Chooses the job whose live log the fleet view shows (null closes it); the log panel follows it. */
export function openJob(jobId: string | null): void {
  appStore.setState({ selectedJobId: jobId });
}
