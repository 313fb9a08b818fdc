import type { WorkflowDefinitionDto, WorkflowEventMessage, WorkflowRun } from '@deploybot/shared';
import type { SliceCreator } from './types';

/** A decision or input the person sent that the server has not confirmed yet: shown as "sending", never as made. */
export interface PendingAction {
  stepId: string | null;
  kind: 'approve' | 'reject' | 'input' | 'cancel' | 'start';
}

export interface WorkflowsSlice {
  definitions: WorkflowDefinitionDto[];
  /** Every run the client knows, by id, each as of its latest applied seq. */
  runs: Record<string, WorkflowRun>;
  selectedRunId: string | null;
  /** Ids of finished runs fetched for the "past runs" list, newest first. */
  pastRunIds: string[];
  /** False from (re)subscribing until the `workflows:subscribe` ack: events are buffered meanwhile. */
  runsSynced: boolean;
  bufferedEvents: WorkflowEventMessage[];
  /** Runs being refetched after a seq gap, with the events that arrived meanwhile. */
  refetching: Record<string, WorkflowEventMessage[]>;
  pending: Record<string, PendingAction | undefined>;
  actionErrors: Record<string, string | undefined>;
  /** The step each run's action error is about (null: the run itself, e.g. Cancel), so only its panel shows it. */
  actionErrorSteps: Record<string, string | null | undefined>;
}

export const createWorkflowsSlice: SliceCreator<WorkflowsSlice> = () => ({
  definitions: [],
  runs: {},
  selectedRunId: null,
  pastRunIds: [],
  runsSynced: false,
  bufferedEvents: [],
  refetching: {},
  pending: {},
  actionErrors: {},
  actionErrorSteps: {},
});
