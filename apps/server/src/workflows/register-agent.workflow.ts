import type { WorkflowDefinition } from '../engine/types';
import { needsFleet } from './fleet-unavailable';

export const registerAgentWorkflow: WorkflowDefinition = {
  name: 'register_agent',
  title: 'Register a deploy agent',
  description:
    'Enroll a new server: issue a join token, check that its agent connects, register and configure it.',
  version: 1,
  inputs: [
    { key: 'hostname', label: 'Host name', type: 'hostname', required: true, placeholder: 'prod-server-03' },
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
      id: 'validate_hostname',
      title: 'Validate hostname',
      description:
        'Check the name is a valid RFC 1123 host name not already registered, and issue a join token.',
      kind: 'automatic',
      run: needsFleet('validating the hostname against registered agents'),
    },
    {
      id: 'check_connectivity',
      title: 'Check connectivity',
      description: 'Wait for the agent to connect with its join token, then measure a ping round-trip.',
      kind: 'gate',
      plan: needsFleet('checking connectivity'),
      apply: needsFleet('checking connectivity'),
    },
    {
      id: 'register',
      title: 'Register agent',
      description: 'Store the agent and switch it from its join token to a long-lived credential.',
      kind: 'gate',
      plan: needsFleet('registering the agent'),
      apply: needsFleet('registering the agent'),
    },
    {
      id: 'configure',
      title: 'Configure agent',
      description: 'Send environment and labels; the agent verifies its installation.',
      kind: 'automatic',
      run: needsFleet('configuring the agent'),
    },
  ],
};
