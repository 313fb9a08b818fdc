import type { AgentDto } from '@deploybot/shared';
import type { AppStore } from '../types';

/** `agent:status`: the agent as it stands now (status, heartbeat, running jobs). */
export function onAgentStatus(store: AppStore, agent: AgentDto): void {
  store.setState((s) => ({ agents: { ...s.agents, [agent.id]: agent } }));
}
