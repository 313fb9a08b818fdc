import { EventEmitter } from 'node:events';
import type { AgentDto, JobDto, LogLine } from '@deploybot/shared';

interface FleetEventMap {
  agent: [AgentDto];
  job: [JobDto];
  logs: [{ jobId: string; lines: LogLine[] }];
  /** An agent connected with a join token and said hello (it now waits for a person to approve it). */
  enrollment: [{ joinTokenId: string; enrollmentId: string }];
}

/** In-process fan-out of fleet changes, after they are committed: realtime and waiting workflow steps listen. */
export class FleetEvents extends EventEmitter<FleetEventMap> {
  constructor() {
    super();
    // Every monitoring workflow step listens while it waits; many runs at once is normal, not a leak.
    this.setMaxListeners(0);
  }
}
