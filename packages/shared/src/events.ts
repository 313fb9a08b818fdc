import { z } from 'zod';
import type { ChatClientToServerEvents, ChatServerToClientEvents } from './assistant';
import type { Ack } from './errors';
import type { AgentDto, FleetServerToClientEvents, JobDto } from './fleet';
import type { JobLogPage, JobLogsPagePayload } from './job-log-pages';
import type { RunPatch } from './run-patch';
import type { WorkflowRun } from './workflow';
import { runIdSchema } from './workflow';

/** What happened to a run; one event per committed transition. */
export const WORKFLOW_EVENT_TYPES = [
  'run.started',
  'step.started',
  'step.retrying',
  'step.completed',
  'step.failed',
  'step.skipped',
  'step.awaiting_approval',
  'step.awaiting_input',
  'step.approved',
  'step.rejected',
  'step.input_received',
  'step.awaiting_event',
  'step.event_received',
  'step.compensated',
  'run.queued',
  'run.dequeued',
  'run.completed',
  'run.failed',
  'run.cancelled',
] as const;
export type WorkflowEventType = (typeof WORKFLOW_EVENT_TYPES)[number];

/** One committed transition, as the controller's own parts see it. `seq` is gap-free per run, starting at 1. */
export interface WorkflowEvent {
  runId: string;
  seq: number;
  type: WorkflowEventType;
  at: string;
  stepId: string | null;
  /** The run as it stands after this transition (secrets shown `••••••`). */
  run: WorkflowRun;
  /**
   * What the transition changed (null: only seq and time), secrets shown `••••••`. Absent on a run's first
   * event, which has no earlier state to change.
   */
  patch?: RunPatch | null;
}

/**
 * One committed transition as a client receives it (`workflow:event`): what changed, not the whole run. A client
 * holding the run at `seq - 1` applies `patch` (`applyRunPatch`); one that does not (it missed an event, or never
 * had the run) refetches the run. A run's first event (seq 1) carries the whole `run` instead.
 */
export interface WorkflowEventMessage {
  runId: string;
  seq: number;
  type: WorkflowEventType;
  at: string;
  stepId: string | null;
  patch?: RunPatch | null;
  run?: WorkflowRun;
}

export const subscribeRunPayloadSchema = z.strictObject({ runId: runIdSchema });
export type SubscribeRunPayload = z.infer<typeof subscribeRunPayloadSchema>;

/** Answer to a subscription: the run now, plus the events the client missed after `afterSeq`. */
export interface RunSnapshot {
  run: WorkflowRun;
}

export const subscribeJobPayloadSchema = z.strictObject({
  jobId: z.uuid({ message: 'jobId must be a UUID' }),
});

export interface ServerToClientEvents extends FleetServerToClientEvents, ChatServerToClientEvents {
  /** A transition of a run the client subscribed to (or of any run, for `workflows:subscribe`). */
  'workflow:event': (event: WorkflowEventMessage) => void;
}

export interface ClientToServerEvents extends ChatClientToServerEvents {
  /** Subscribe to one run: the ack carries its snapshot; events after the snapshot's seq follow. */
  'workflow:subscribe': (payload: SubscribeRunPayload, ack: (res: Ack<RunSnapshot>) => void) => void;
  'workflow:unsubscribe': (payload: SubscribeRunPayload, ack: (res: Ack<{ ok: true }>) => void) => void;
  /** Subscribe to every run's transitions: the ack carries the active runs. */
  'workflows:subscribe': (
    payload: Record<string, never>,
    ack: (res: Ack<{ runs: WorkflowRun[] }>) => void,
  ) => void;
  /** Agent and job status changes: the ack carries the agents and recent jobs. */
  'fleet:subscribe': (
    payload: Record<string, never>,
    ack: (res: Ack<{ agents: AgentDto[]; jobs: JobDto[] }>) => void,
  ) => void;
  /**
   * One job's log lines as they arrive: the ack carries the job and its latest lines, bounded in lines and bytes;
   * its `before` leads to the older ones through `job:logs`.
   */
  'job:subscribe': (
    payload: { jobId: string },
    ack: (res: Ack<{ job: JobDto } & JobLogPage>) => void,
  ) => void;
  /** The lines of a job before a seq (paging back from the `job:subscribe` snapshot). */
  'job:logs': (payload: JobLogsPagePayload, ack: (res: Ack<JobLogPage>) => void) => void;
  'job:unsubscribe': (payload: { jobId: string }, ack: (res: Ack<{ ok: true }>) => void) => void;
}
