import type { FieldIssue } from '@deploybot/shared';
import type { WorkflowDefinition } from '../engine/types';
import type { Enrollment } from '../fleet/agent-gateway';
import { FleetError } from '../fleet/agents.service';
import { ENVIRONMENT_INPUT, formatMs, parseLabels, type WorkflowDeps, withTimeout } from './workflow-deps';

interface ConnectivityData {
  joinTokenId: string;
  /** The connection reviewed: registering hands the credential to it alone. */
  enrollmentId: string;
  hostname: string;
  address: string | null;
  rttMs: number;
  agentVersion: string;
  gitVersion: string | null;
  workdir: string;
  workdirWritable: boolean;
  platform: string;
}

/** Stands for the join token in the command shown to people; the token itself is revealed on request. */
export const JOIN_TOKEN_PLACEHOLDER = '{{join_token}}';

export function registerAgentWorkflow({
  fleet,
  enrollCommand,
  connectTimeoutMs,
}: WorkflowDeps): WorkflowDefinition {
  const environmentOf = (ctx: { context: Record<string, unknown> }) =>
    (ctx.context.environment as string | undefined) ?? 'production';

  return {
    name: 'register_agent',
    title: 'Register a deploy agent',
    description:
      'Enroll a new server: issue a join token, check that its agent connects, register and configure it.',
    version: 1,
    inputs: [
      {
        key: 'hostname',
        label: 'Host name',
        type: 'hostname',
        required: true,
        placeholder: 'prod-server-03',
      },
      ENVIRONMENT_INPUT,
      {
        key: 'labels',
        label: 'Labels',
        type: 'text',
        required: false,
        placeholder: 'region=eu, tier=web',
        pattern: '^[a-z0-9_.=, -]{0,512}$',
      },
    ],
    // Labels that do not parse and a name already taken are refused before a join token exists.
    checkStart: async (inputs) => {
      const issues: FieldIssue[] = [];
      try {
        parseLabels(inputs.labels);
      } catch (err) {
        issues.push({ path: 'labels', message: (err as Error).message });
      }
      try {
        await fleet.agents.assertHostnameFree(inputs.hostname as string);
      } catch (err) {
        if (!(err instanceof FleetError)) throw err;
        issues.push({ path: 'hostname', message: err.message });
      }
      return issues;
    },
    steps: [
      {
        id: 'validate_hostname',
        title: 'Validate hostname',
        description:
          'Check the name is a valid RFC 1123 host name not already registered, and issue a join token.',
        kind: 'automatic',
        run: async (ctx) => {
          const hostname = ctx.context.hostname as string;
          parseLabels(ctx.context.labels); // refuse bad labels now, not after the agent is registered
          await fleet.agents.assertHostnameFree(hostname);
          const { token, expiresAt } = await fleet.agents.issueJoinToken(hostname, ctx.startedBy, ctx.runId);
          // The token is sealed like a secret input: the command shows a placeholder, and only the person who
          // started the run (or an admin) can reveal it, through POST /v1/ai/workflows/{id}/reveal.
          const command = enrollCommand(hostname, JOIN_TOKEN_PLACEHOLDER);
          return {
            summary: `${hostname} is a valid host name and not registered yet. Start the agent on ${hostname} with the command shown (reveal its one-time join token first); the token expires at ${expiresAt}.`,
            data: { hostname, command, expiresAt, secret: 'join_token', placeholder: JOIN_TOKEN_PLACEHOLDER },
            secrets: { join_token: token },
          };
        },
      },
      {
        id: 'check_connectivity',
        title: 'Check connectivity',
        description: 'Wait for the agent to connect with its join token, then measure a ping round-trip.',
        kind: 'gate',
        plan: async (ctx) => {
          const hostname = ctx.context.hostname as string;
          const joinTokenId = await fleet.agents.joinTokenId(ctx.context.join_token as string);
          if (!joinTokenId)
            throw new Error('the join token has expired or was used; start register_agent again');
          const waited = withTimeout(
            ctx.signal,
            connectTimeoutMs,
            `no agent connected as ${hostname} with the join token within ${formatMs(connectTimeoutMs)}`,
          );
          const enrollment: Enrollment = await fleet.gateway.waitForEnrollment(joinTokenId, waited);
          const ping = await fleet.gateway.ping({ enrollmentId: enrollment.id });
          const { info } = enrollment;
          const data: ConnectivityData = {
            joinTokenId,
            enrollmentId: enrollment.id,
            hostname,
            address: ping.address,
            rttMs: ping.rttMs,
            agentVersion: info.version,
            gitVersion: info.gitVersion,
            workdir: info.workdir,
            workdirWritable: info.workdirWritable,
            platform: info.platform,
          };
          return {
            summary: `Connected from ${ping.address ?? 'unknown address'}: ping ${ping.rttMs} ms; agent ${info.version}, ${info.gitVersion ?? 'git NOT found'}, work dir ${info.workdir} ${info.workdirWritable ? 'writable' : 'NOT writable'}.`,
            data,
          };
        },
        apply: async (_ctx, plan) => {
          const data = plan.data as ConnectivityData;
          const enrollment = data.enrollmentId ? fleet.gateway.enrollmentById(data.enrollmentId) : null;
          if (!enrollment) {
            throw new Error(
              `the connection of ${data.hostname} that was checked is gone; start register_agent again and review the new connection`,
            );
          }
          return { summary: `Connectivity of ${data.hostname} reviewed: ${plan.summary}`, data };
        },
      },
      {
        id: 'register',
        title: 'Register agent',
        description: 'Store the agent and switch it from its join token to a long-lived credential.',
        kind: 'gate',
        plan: async (ctx) => {
          const conn = ctx.context.steps.check_connectivity as ConnectivityData;
          const labels = parseLabels(ctx.context.labels);
          const environment = environmentOf(ctx);
          const labelText =
            Object.entries(labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'none';
          return {
            summary: `Will store agent ${conn.hostname} (environment ${environment}, labels ${labelText}, address ${conn.address ?? 'unknown'}), use up its join token and issue a long-lived credential (stored hashed).`,
            data: { hostname: conn.hostname, environment, labels, address: conn.address },
          };
        },
        apply: async (ctx, _plan, decision) => {
          const conn = ctx.context.steps.check_connectivity as ConnectivityData;
          // Only the connection reviewed at check_connectivity may receive the credential.
          const enrollment = conn.enrollmentId ? fleet.gateway.enrollmentById(conn.enrollmentId) : null;
          if (!enrollment)
            throw new Error(
              `the connection of ${conn.hostname} reviewed at check_connectivity (from ${conn.address ?? 'an unknown address'}) is gone; nothing was registered: start register_agent again and review the new connection`,
            );
          const agent = await fleet.agents.register(enrollment, {
            environment: environmentOf(ctx),
            labels: parseLabels(ctx.context.labels),
            by: decision.by,
            runId: ctx.runId,
          });
          return {
            summary: `Registered ${agent.hostname} (agent ${agent.id}); it now authenticates with its own credential.`,
            data: { agentId: agent.id, hostname: agent.hostname, environment: agent.environment },
            outputs: { agent_id: agent.id },
          };
        },
      },
      {
        id: 'configure',
        title: 'Configure agent',
        description: 'Send environment and labels; the agent verifies its installation.',
        kind: 'automatic',
        retry: { attempts: 3, backoffMs: 1000 },
        run: async (ctx) => {
          const agentId = ctx.context.agent_id as string;
          const result = await fleet.gateway.configure(agentId, {
            environment: environmentOf(ctx),
            labels: parseLabels(ctx.context.labels),
          });
          const failed = result.checks.filter((c) => !c.ok);
          const checks = result.checks.map((c) => `${c.name} ${c.ok ? '✓' : '✗'} (${c.detail})`).join('; ');
          if (failed.length > 0) throw new Error(`installation check failed: ${checks}`);
          return {
            summary: `Configured for ${environmentOf(ctx)}. Installation verified: ${checks}.`,
            data: result,
          };
        },
      },
    ],
  };
}
