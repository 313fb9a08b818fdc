import type { AgentDto, JobDto } from '@deploybot/shared';

export interface ScoredAgent {
  agentId: string;
  hostname: string;
  score: number;
  reasons: string[];
}

/**
 * Ranks online agents for a deployment: environment match matters most, then recent success, then load.
 * Every point comes with a reason the operator sees in the plan.
 */
export function scoreAgents(
  agents: AgentDto[],
  recentJobs: JobDto[],
  environment: string | undefined,
): ScoredAgent[] {
  return agents
    .filter((a) => a.status === 'online')
    .map((a) => {
      const reasons: string[] = [];
      let score = 0;
      if (environment) {
        if (a.environment === environment) {
          score += 50;
          reasons.push(`environment ${a.environment} matches`);
        } else {
          reasons.push(`environment ${a.environment} differs from ${environment}`);
        }
      }
      const finished = recentJobs
        .filter((j) => j.agentId === a.id && (j.status === 'success' || j.status === 'failed'))
        .slice(0, 10);
      if (finished.length === 0) {
        score += 15;
        reasons.push('no recent jobs');
      } else {
        const ok = finished.filter((j) => j.status === 'success').length;
        score += Math.round((ok / finished.length) * 30);
        reasons.push(`${ok}/${finished.length} recent jobs succeeded`);
      }
      score -= 15 * a.runningJobs;
      reasons.push(a.runningJobs === 0 ? 'idle' : `${a.runningJobs} job(s) in progress`);
      return { agentId: a.id, hostname: a.hostname, score, reasons };
    })
    .sort((x, y) => y.score - x.score || x.hostname.localeCompare(y.hostname));
}
