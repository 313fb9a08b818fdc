import type { WorkflowDefinitionDto, WorkflowRun } from '@deploybot/shared';
import type { DecideCommand, InputCommand } from '../engine/engine';
import type { RunFilter } from '../engine/ports';

/**
 * What the assistant may do with workflows. app.ts binds it to the engine; `decide` is injected separately so
 * the composition root can put the same role and four-eyes checks in front of it as the REST route has.
 * Only the chat service calls `decide`, and only for a person's own message (see approval-intent.ts).
 */
export interface AssistantWorkflows {
  definitions(): WorkflowDefinitionDto[];
  get(runId: string): Promise<WorkflowRun>;
  list(filter: RunFilter): Promise<WorkflowRun[]>;
  start(name: string, context: Record<string, unknown>, by: string): Promise<WorkflowRun>;
  submitInput(runId: string, cmd: InputCommand): Promise<WorkflowRun>;
  cancel(runId: string, cmd: { by: string; reason?: string | null }): Promise<WorkflowRun>;
}

/** A person's decision on a waiting gate, as the server recognised it in their chat message. */
export type DecideFn = (
  runId: string,
  cmd: Pick<DecideCommand, 'approved' | 'stepId' | 'note' | 'by'>,
) => Promise<WorkflowRun>;
