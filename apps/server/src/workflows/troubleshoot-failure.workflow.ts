import type { WorkflowDefinition } from '../engine/types';
import { needsFleet } from './fleet-unavailable';

export const troubleshootFailureWorkflow: WorkflowDefinition = {
  name: 'troubleshoot_failure',
  title: 'Troubleshoot a failure',
  description:
    'Find recent failed jobs, group them by cause, gather their logs, and apply a fix once approved.',
  version: 1,
  inputs: [
    {
      key: 'job_id',
      label: 'Job id (optional: the most recent failures otherwise)',
      type: 'text',
      required: false,
      pattern: '^[0-9a-f-]{36}$',
    },
  ],
  steps: [
    {
      id: 'identify_issue',
      title: 'Identify issue',
      description: 'Group recent failed jobs by cause, agent and repository.',
      kind: 'automatic',
      run: needsFleet('identifying failed jobs'),
    },
    {
      id: 'gather_logs',
      title: 'Gather logs',
      description: 'Collect the relevant log lines and heartbeat history.',
      kind: 'automatic',
      run: needsFleet('gathering logs'),
    },
    {
      id: 'suggest_fix',
      title: 'Suggest fix',
      description: 'Propose a remedy (e.g. retry on a healthy agent) and apply it once approved.',
      kind: 'gate',
      plan: needsFleet('suggesting a fix'),
      apply: needsFleet('applying the fix'),
    },
    {
      id: 'verify_fix',
      title: 'Verify fix',
      description: 'Check the retried job succeeded or the agent is back.',
      kind: 'automatic',
      run: needsFleet('verifying the fix'),
    },
  ],
};
