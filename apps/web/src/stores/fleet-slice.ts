import type { AgentDto, JobDto, LogLine } from '@deploybot/shared';
import type { SliceCreator } from './types';

export interface JobLog {
  /** Ordered by seq, without duplicates. */
  lines: LogLine[];
  /** False from `job:subscribe` until its ack: live batches are buffered meanwhile. */
  synced: boolean;
  buffered: LogLine[];
  /** Where older lines start (`job:logs` `before`); null when the first line is shown. */
  before: number | null;
  /** True while a page of older lines is on its way. */
  loadingOlder: boolean;
}

export interface FleetSlice {
  agents: Record<string, AgentDto>;
  jobs: Record<string, JobDto>;
  fleetSynced: boolean;
  logs: Record<string, JobLog | undefined>;
}

export const createFleetSlice: SliceCreator<FleetSlice> = () => ({
  agents: {},
  jobs: {},
  fleetSynced: false,
  logs: {},
});
