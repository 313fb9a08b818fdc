import type { WorkflowDefinition } from '../engine/types';
import { needsFleet } from './fleet-unavailable';

export const deployApplicationWorkflow: WorkflowDefinition = {
  name: 'deploy_application',
  title: 'Deploy an application',
  description:
    'Pick an agent, resolve the ref to a commit, and run the repository’s deploy manifest on that agent.',
  version: 1,
  inputs: [
    {
      key: 'repository',
      label: 'Repository',
      type: 'text',
      required: true,
      placeholder: 'myorg/frontend',
      pattern: '^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*$',
    },
    {
      key: 'ref',
      label: 'Ref (branch, tag or sha)',
      type: 'text',
      required: true,
      placeholder: 'main',
      pattern: '^(?!-)[A-Za-z0-9._/+-]{1,200}$',
    },
    {
      key: 'environment',
      label: 'Environment',
      type: 'text',
      required: false,
      placeholder: 'production',
      pattern: '^[a-z][a-z0-9-]{0,31}$',
    },
  ],
  steps: [
    {
      id: 'select_agent',
      title: 'Select target agent',
      description: 'Score online agents by environment, load and recent success; review the choice.',
      kind: 'gate',
      plan: needsFleet('selecting a target agent'),
      apply: needsFleet('selecting a target agent'),
    },
    {
      id: 'validate_repository',
      title: 'Validate repository',
      description: 'Resolve the ref to a commit with git ls-remote.',
      kind: 'automatic',
      run: needsFleet('validating the repository'),
    },
    {
      id: 'create_job',
      title: 'Create deployment job',
      description: 'Queue the deployment job on the chosen agent.',
      kind: 'gate',
      plan: needsFleet('creating the deployment job'),
      apply: needsFleet('creating the deployment job'),
    },
    {
      id: 'monitor_job',
      title: 'Monitor deployment',
      description: 'Follow the job until it ends, with its logs.',
      kind: 'automatic',
      run: needsFleet('monitoring the deployment'),
    },
  ],
};
