import { environmentSchema, hostnameSchema } from '@deploybot/shared';
import { z } from 'zod';
import { FleetError } from '../../fleet/agents.service';
import type { Fleet } from '../../fleet/fleet';
import { labelsOf, labelsParam } from './enroll.kinds';
import { defineKind, optionalText } from './fleet-kind';

/** An agent's environment; absent (or '') → production. */
const environmentParam = optionalText(environmentSchema);
const environmentOf = (environment: string | undefined) => environment ?? 'production';

/**
 * `fleet.register_agent`: store the agent of one reviewed connection and switch it from its join token to a
 * long-lived credential. Undone by revoking the agent.
 */
export function registerAgentKind(fleet: Fleet) {
  return defineKind({
    name: 'fleet.register_agent',
    version: 1,
    title: 'Register an agent',
    description:
      'Store the agent and switch it from its join token to a long-lived credential. Undo: revoke it.',
    params: z.object({
      hostname: hostnameSchema,
      environment: environmentParam,
      labels: labelsParam,
      /** The connection reviewed (fleet.check_connectivity): only it may receive the credential. */
      enrollment_id: z.string().min(1),
      /** Where it connected from, for people. */
      address: z.string().nullable().optional(),
    }),
    outputs: z.object({ agent_id: z.string().describe('The registered agent’s id.') }),
    plan: async (_ctx, { hostname, environment, labels, address }) => {
      const parsed = labelsOf(labels);
      const labelText =
        Object.entries(parsed)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'none';
      const env = environmentOf(environment);
      return {
        summary: `Will store agent ${hostname} (environment ${env}, labels ${labelText}, address ${address ?? 'unknown'}), use up its join token and issue a long-lived credential (stored hashed).`,
        data: { hostname, environment: env, labels: parsed, address: address ?? null },
      };
    },
    run: async (ctx, { hostname, environment, labels, enrollment_id, address }, approval) => {
      // Only the connection reviewed at check_connectivity may receive the credential.
      const enrollment = fleet.gateway.enrollmentById(enrollment_id);
      if (!enrollment)
        throw new Error(
          `the connection of ${hostname} reviewed at check_connectivity (from ${address ?? 'an unknown address'}) is gone; nothing was registered: start register_agent again and review the new connection`,
        );
      const agent = await fleet.agents.register(enrollment, {
        environment: environmentOf(environment),
        labels: labelsOf(labels),
        by: approval?.by ?? ctx.startedBy,
        runId: ctx.runId,
      });
      return {
        summary: `Registered ${agent.hostname} (agent ${agent.id}); it now authenticates with its own credential.`,
        data: { agentId: agent.id, hostname: agent.hostname, environment: agent.environment },
        outputs: { agent_id: agent.id },
      };
    },
    compensate: {
      describe: ({ hostname }, { outputs }) => `revoke agent ${hostname} (${String(outputs.agent_id)})`,
      run: async (ctx, { hostname }, { outputs }) => {
        const agentId = String(outputs.agent_id);
        try {
          await fleet.agents.revoke(agentId, ctx.startedBy);
        } catch (err) {
          if (err instanceof FleetError && err.code === 'not_found')
            return {
              summary: `Nothing to undo: agent ${hostname} is already revoked.`,
              data: { agentId, revoked: false },
            };
          throw err;
        }
        return { summary: `Revoked agent ${hostname} (${agentId}).`, data: { agentId, revoked: true } };
      },
    },
  });
}

/** `fleet.configure_agent`: send environment and labels; the agent checks its installation and reports. */
export function configureAgentKind(fleet: Fleet) {
  return defineKind({
    name: 'fleet.configure_agent',
    version: 1,
    title: 'Configure an agent',
    description: 'Send environment and labels; the agent verifies its installation (git, work dir, disk).',
    params: z.object({ agent_id: z.string().min(1), environment: environmentParam, labels: labelsParam }),
    outputs: z.object({}),
    run: async (_ctx, { agent_id, environment, labels }) => {
      const result = await fleet.gateway.configure(agent_id, {
        environment: environmentOf(environment),
        labels: labelsOf(labels),
      });
      const failed = result.checks.filter((c) => !c.ok);
      const checks = result.checks.map((c) => `${c.name} ${c.ok ? '✓' : '✗'} (${c.detail})`).join('; ');
      if (failed.length > 0) throw new Error(`installation check failed: ${checks}`);
      return {
        summary: `Configured for ${environmentOf(environment)}. Installation verified: ${checks}.`,
        data: result,
      };
    },
  });
}
