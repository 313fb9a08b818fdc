import { hostnameSchema } from '@deploybot/shared';
import { z } from 'zod';
import { FleetError } from '../../fleet/agents.service';
import type { Fleet } from '../../fleet/fleet';
import { formatMs, parseLabels, type WorkflowDeps } from '../workflow-deps';
import { defineKind, enrollmentWaitKey } from './fleet-kind';

/** Stands for the join token in the command shown to people; the token itself is revealed on request. */
export const JOIN_TOKEN_PLACEHOLDER = '{{join_token}}';

/** Labels as the start form takes them (`region=eu, tier=web`) or as a map; absent → none. */
export const labelsParam = z.union([z.string().max(600), z.record(z.string(), z.string())]).optional();

export function labelsOf(labels: z.output<typeof labelsParam>): Record<string, string> {
  return typeof labels === 'string' ? parseLabels(labels) : (labels ?? {});
}

/**
 * `fleet.issue_join_token`: check the host name is free and the labels parse, and issue a one-time join token
 * (a secret output, sealed at rest) with the command that starts the agent.
 */
export function issueJoinTokenKind(fleet: Fleet, enrollCommand: WorkflowDeps['enrollCommand']) {
  return defineKind({
    name: 'fleet.issue_join_token',
    version: 1,
    title: 'Issue a join token',
    description:
      'Check the name is a valid RFC 1123 host name not already registered, and issue a one-time join token with the command that starts its agent.',
    params: z.object({ hostname: hostnameSchema, labels: labelsParam }),
    outputs: z.object({
      // A secret output: steps read it in clear, but where it is stored (and copied by the document's `outputs`)
      // it is sealed, `{ $secret }`. Declared as either, so an expression copying it is not refused at run time.
      join_token: z
        .union([z.string(), z.object({ $secret: z.string() })])
        .describe('The one-time join token (a secret: shown as •••••• and revealed on request).'),
    }),
    // Labels that do not parse and a name already taken are refused before a join token exists.
    startCheck: async ({ hostname, labels }) => {
      const issues: Array<{ param: string; message: string }> = [];
      try {
        labelsOf(labels);
      } catch (err) {
        issues.push({ param: 'labels', message: (err as Error).message });
      }
      try {
        await fleet.agents.assertHostnameFree(hostname);
      } catch (err) {
        if (!(err instanceof FleetError)) throw err;
        issues.push({ param: 'hostname', message: err.message });
      }
      return issues;
    },
    run: async (ctx, { hostname, labels }) => {
      labelsOf(labels); // refuse bad labels now, not after the agent is registered
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
  });
}

/** The id of a join token that can still enrol an agent. */
async function usableTokenId(fleet: Fleet, token: string): Promise<string> {
  const id = await fleet.agents.joinTokenId(token);
  if (!id) throw new Error('the join token has expired or was used; start register_agent again');
  return id;
}

/**
 * `fleet.await_enrollment`: a durable wait (key `enrollment:<join token id>`) until an agent connects with the
 * join token and says hello; fails after `connectTimeoutMs`.
 */
export function awaitEnrollmentKind(fleet: Fleet, connectTimeoutMs: number) {
  const connected = async (hostname: string, joinTokenId: string) => {
    const enrollment = fleet.gateway.enrollment(joinTokenId);
    if (!enrollment) {
      throw new Error(
        `the agent of ${hostname} disconnected right after connecting with its join token; start it again, then start register_agent again`,
      );
    }
    return {
      summary: `${hostname} connected with its join token from ${enrollment.address ?? 'an unknown address'}.`,
      data: {
        hostname,
        joinTokenId,
        enrollmentId: enrollment.id,
        address: enrollment.address,
        connectedAt: enrollment.connectedAt,
      },
      outputs: { join_token_id: joinTokenId, enrollment_id: enrollment.id, address: enrollment.address },
    };
  };

  return defineKind({
    name: 'fleet.await_enrollment',
    version: 1,
    title: 'Wait for an agent to enroll',
    description: `Wait, without holding anything in memory, until the agent connects with its join token (at most ${formatMs(connectTimeoutMs)}).`,
    params: z.object({ hostname: hostnameSchema, join_token: z.string().min(1) }),
    outputs: z.object({
      join_token_id: z.string().describe('The join token’s id (not the token).'),
      enrollment_id: z.string().describe('The connection that said hello with it.'),
      address: z.string().nullable().describe('Where it connected from.'),
    }),
    run: async (_ctx, { hostname, join_token }) => {
      const joinTokenId = await usableTokenId(fleet, join_token);
      if (fleet.gateway.enrollment(joinTokenId)) return connected(hostname, joinTokenId);
      return {
        wait: {
          key: enrollmentWaitKey(joinTokenId),
          summary: `Waiting for the agent of ${hostname} to connect with its join token.`,
          deadlineMs: connectTimeoutMs,
          atDeadline: 'fail',
          deadlineError: `no agent connected as ${hostname} with the join token within ${formatMs(connectTimeoutMs)}`,
        },
      };
    },
    recheck: async (_ctx, { join_token }) => {
      const joinTokenId = await fleet.agents.joinTokenId(join_token);
      const enrollment = joinTokenId ? fleet.gateway.enrollment(joinTokenId) : null;
      return enrollment ? { payload: { enrollmentId: enrollment.id } } : null;
    },
    resume: async (_ctx, { hostname, join_token }) =>
      connected(hostname, await usableTokenId(fleet, join_token)),
  });
}

export interface ConnectivityData {
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

/**
 * `fleet.check_connectivity`: ping the connection holding the join token and report what the agent says of
 * itself. At a gate a person reviews it; approving binds the registration to that very connection.
 */
export function checkConnectivityKind(fleet: Fleet, connectTimeoutMs: number) {
  const check = async (hostname: string, joinTokenId: string) => {
    const enrollment = fleet.gateway.enrollment(joinTokenId);
    if (!enrollment) {
      throw new Error(
        `no agent of ${hostname} is connected with the join token any more; start it again, then start register_agent again`,
      );
    }
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
      outputs: { enrollment_id: enrollment.id, address: ping.address },
    };
  };
  /** The check, or, while no agent has connected with the token yet, a durable wait for it. */
  const checkOrWait = async (hostname: string, token: string) => {
    const joinTokenId = await usableTokenId(fleet, token);
    if (fleet.gateway.enrollment(joinTokenId)) return check(hostname, joinTokenId);
    return {
      wait: {
        key: enrollmentWaitKey(joinTokenId),
        summary: `Waiting for the agent of ${hostname} to connect with its join token.`,
        deadlineMs: connectTimeoutMs,
        atDeadline: 'fail' as const,
        deadlineError: `no agent connected as ${hostname} with the join token within ${formatMs(connectTimeoutMs)}`,
      },
    };
  };

  return defineKind({
    name: 'fleet.check_connectivity',
    version: 1,
    title: 'Check an enrolling agent’s connectivity',
    description: `Wait, without holding anything in memory, until the agent connects with its join token (at most ${formatMs(connectTimeoutMs)}), then measure a ping round-trip with its version, git and work dir. At a gate a person reviews it, and approving binds the registration to that very connection.`,
    params: z.object({ hostname: hostnameSchema, join_token: z.string().min(1) }),
    outputs: z.object({
      enrollment_id: z.string().describe('The connection checked (and reviewed, at a gate).'),
      address: z.string().nullable().describe('Where it connected from.'),
    }),
    plan: (_ctx, { hostname, join_token }) => checkOrWait(hostname, join_token),
    recheck: async (_ctx, { join_token }) => {
      const joinTokenId = await fleet.agents.joinTokenId(join_token);
      const enrollment = joinTokenId ? fleet.gateway.enrollment(joinTokenId) : null;
      return enrollment ? { payload: { enrollmentId: enrollment.id } } : null;
    },
    // The agent connected: the check is the plan (at a gate) or the result (without one).
    resume: async (_ctx, { hostname, join_token }) => check(hostname, await usableTokenId(fleet, join_token)),
    run: async (_ctx, { hostname, join_token }, approval) => {
      if (!approval) return checkOrWait(hostname, join_token);
      const data = approval.plan.data as ConnectivityData;
      if (!fleet.gateway.enrollmentById(data.enrollmentId)) {
        throw new Error(
          `the connection of ${data.hostname} that was checked is gone; start register_agent again and review the new connection`,
        );
      }
      return {
        summary: `Connectivity of ${data.hostname} reviewed: ${approval.plan.summary}`,
        data,
        outputs: { enrollment_id: data.enrollmentId, address: data.address },
      };
    },
  });
}
