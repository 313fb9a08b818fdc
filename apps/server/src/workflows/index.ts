import type { WorkflowDefinition } from '../engine/types';
import { deployApplicationWorkflow } from './deploy-application.workflow';
import { healthCheckWorkflow } from './health-check.workflow';
import { registerAgentWorkflow } from './register-agent.workflow';
import { troubleshootFailureWorkflow } from './troubleshoot-failure.workflow';

/** The four built-in workflows, in the order the UI lists them. */
export function builtInWorkflows(): WorkflowDefinition[] {
  return [registerAgentWorkflow, deployApplicationWorkflow, troubleshootFailureWorkflow, healthCheckWorkflow];
}
