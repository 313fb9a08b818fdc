import type { WorkflowSetup } from '../app';
import { BUILT_IN_DOCUMENTS } from './builtin';
import { fleetStepKinds } from './kinds';
import type { WorkflowDeps } from './workflow-deps';

export type { WorkflowDeps } from './workflow-deps';

/**
 * The controller's workflows: the fleet's step kinds and the four built-in documents (register an agent, deploy
 * an application, troubleshoot a failure, check system health), in the order the UI lists them.
 */
export function builtInWorkflows(deps: WorkflowDeps): WorkflowSetup {
  return { kinds: fleetStepKinds(deps), documents: BUILT_IN_DOCUMENTS };
}
