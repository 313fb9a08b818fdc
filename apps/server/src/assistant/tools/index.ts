import type { Fleet } from '../../fleet/fleet';
import type { AssistantTriggers } from '../triggers-port';
import type { AssistantWorkflows } from '../workflows-port';
import { fleetTools } from './fleet-tools';
import { ToolRegistry } from './registry';
import { triggerTools } from './trigger-tools';
import { workflowTools } from './workflow-tools';

export function buildToolRegistry(
  fleet: Fleet,
  workflows: AssistantWorkflows,
  triggers: AssistantTriggers,
  onError?: (err: unknown, tool: string) => void,
): ToolRegistry {
  return new ToolRegistry(
    [...fleetTools(fleet), ...workflowTools(workflows), ...triggerTools(triggers)],
    onError,
  );
}
