import type { WorkflowDefinition } from '../engine/types';
import { needsFleet } from './fleet-unavailable';

export const healthCheckWorkflow: WorkflowDefinition = {
  name: 'health_check',
  title: 'Check system health',
  description: 'Check every agent and running job, analyse success rates and durations, and write a report.',
  version: 1,
  inputs: [],
  steps: [
    {
      id: 'check_agents',
      title: 'Check all agents',
      description: 'Heartbeat freshness and versions of every agent.',
      kind: 'automatic',
      run: needsFleet('checking agents'),
    },
    {
      id: 'check_jobs',
      title: 'Check running jobs',
      description: 'Find jobs running beyond the stuck threshold.',
      kind: 'automatic',
      run: needsFleet('checking running jobs'),
    },
    {
      id: 'analyse_metrics',
      title: 'Analyse metrics',
      description: 'Success rates and duration percentiles over 1 h, 24 h and 7 d.',
      kind: 'automatic',
      run: needsFleet('analysing metrics'),
    },
    {
      id: 'generate_report',
      title: 'Generate report',
      description: 'A markdown and JSON report with concrete recommendations.',
      kind: 'automatic',
      run: needsFleet('writing the report'),
    },
  ],
};
