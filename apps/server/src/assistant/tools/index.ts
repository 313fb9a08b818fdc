import type { Fleet } from '../../fleet/fleet';
import type { AssistantWorkflows } from '../workflows-port';
import { fleetTools } from './fleet-tools';
import { ToolRegistry } from './registry';
import { workflowTools } from './workflow-tools';

export function buildToolRegistry(
  fleet: Fleet,
  workflows: AssistantWorkflows,
  onError?: (err: unknown, tool: string) => void,
): ToolRegistry {
  return new ToolRegistry([...fleetTools(fleet), ...workflowTools(workflows)], onError);
}
