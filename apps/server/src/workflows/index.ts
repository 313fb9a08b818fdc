import type { WorkflowDefinition } from '../engine/types';
import { deployApplicationWorkflow } from './deploy-application.workflow';
import { healthCheckWorkflow } from './health-check.workflow';
import { registerAgentWorkflow } from './register-agent.workflow';
import { troubleshootFailureWorkflow } from './troubleshoot-failure.workflow';
import type { WorkflowDeps } from './workflow-deps';

export type { WorkflowDeps } from './workflow-deps';

/** The four built-in workflows, in the order the UI lists them. */
export function builtInWorkflows(deps: WorkflowDeps): WorkflowDefinition[] {
  return [
    registerAgentWorkflow(deps),
    deployApplicationWorkflow(deps),
    troubleshootFailureWorkflow(deps),
    healthCheckWorkflow(deps),
  ];
}
