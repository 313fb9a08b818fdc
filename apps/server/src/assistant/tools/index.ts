import type { Fleet } from '../../fleet/fleet';
import type { AssistantRunRecords } from '../run-records';
import type { AssistantTriggers } from '../triggers-port';
import type { AssistantWorkflows } from '../workflows-port';
import { fleetTools } from './fleet-tools';
import { historyTools } from './history-tools';
import { ToolRegistry } from './registry';
import { triggerTools } from './trigger-tools';
import { workflowTools } from './workflow-tools';

export function buildToolRegistry(
  fleet: Fleet,
  workflows: AssistantWorkflows,
  triggers: AssistantTriggers,
  records: AssistantRunRecords,
  onError?: (err: unknown, tool: string) => void,
): ToolRegistry {
  return new ToolRegistry(
    [...fleetTools(fleet), ...workflowTools(workflows), ...triggerTools(triggers), ...historyTools(records)],
    onError,
  );
}
