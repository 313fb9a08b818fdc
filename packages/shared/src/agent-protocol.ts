import { z } from 'zod';
import type { Ack } from './errors';

/**
 * The deploy agent's wire protocol: Socket.IO namespace `/agents`. The agent dials out; the controller never
 * connects to agents. Every payload in both directions is validated with these schemas.
 */
export const AGENT_NAMESPACE = '/agents';
export const AGENT_PROTOCOL_VERSION = 1;

/** Repository names are `org/app`: lower-case letters, digits, dots, dashes and underscores, no `..`. */
export const REPOSITORY_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}\/[a-z0-9][a-z0-9._-]{0,99}$/;
export const repositoryNameSchema = z
  .string()
  .regex(REPOSITORY_NAME_RE, 'repository must look like org/app (lower-case letters, digits, . _ -)')
  .refine((s) => !s.includes('..'), 'repository must not contain ".."');

/** A git ref as a person types it: branch, tag or sha. Refused: whitespace, control chars, `..`, leading `-`. */
export const GIT_REF_RE = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/+-]{1,200}(?<![./])$/;
export const gitRefSchema = z
  .string()
  .regex(GIT_REF_RE, 'ref must be a branch, tag or commit sha (no spaces, "..", or leading "-")');
export const shaSchema = z.string().regex(/^[0-9a-f]{40}$/, 'sha must be 40 hex characters');

/** Sent in the Socket.IO handshake `auth`. */
export const agentHandshakeSchema = z.strictObject({
  /** A one-time join token (enrollment) or the agent's long-lived credential. */
  token: z.string().min(16).max(200),
  hostname: z.string().min(1).max(253),
  version: z.string().max(50),
  protocol: z.literal(AGENT_PROTOCOL_VERSION),
});
export type AgentHandshake = z.infer<typeof agentHandshakeSchema>;

/** What the agent knows about itself; sent right after connecting and on every `agent:configure`. */
export const agentInfoSchema = z.strictObject({
  version: z.string().max(50),
  gitVersion: z.string().max(100).nullable(),
  workdir: z.string().max(4096),
  workdirWritable: z.boolean(),
  platform: z.string().max(50),
  nodeVersion: z.string().max(50),
  /** Jobs still running on the agent (after a reconnect the controller must not declare them lost). */
  runningJobs: z.array(z.uuid()).max(100),
});
export type AgentInfo = z.infer<typeof agentInfoSchema>;

export const helloAckSchema = z.object({
  agentId: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
});
export type HelloAck = z.infer<typeof helloAckSchema>;

export const heartbeatSchema = z.strictObject({
  runningJobs: z.array(z.uuid()).max(100),
  /** 1-minute load average of the host. */
  load: z.number().nonnegative(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export const logLineSchema = z.strictObject({
  seq: z.number().int().nonnegative(),
  stream: z.enum(LOG_STREAMS),
  line: z.string().max(16_384),
  at: z.string(),
});
export type LogLine = z.infer<typeof logLineSchema>;

/** Log lines are batched (every ~100 ms or 200 lines) so thousands of lines do not mean thousands of messages. */
export const jobLogsSchema = z.strictObject({
  jobId: z.uuid(),
  lines: z.array(logLineSchema).min(1).max(1000),
});
export type JobLogs = z.infer<typeof jobLogsSchema>;

export const JOB_STATUSES = ['pending', 'running', 'success', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Why a job failed, as the agent classifies it (the troubleshooting workflow groups by it). */
export const JOB_FAILURE_CAUSES = [
  'clone_failed',
  'ref_not_found',
  'manifest_invalid',
  'step_failed',
  'timeout',
  'cancelled',
  'agent_lost',
  'agent_offline',
  'internal',
] as const;
export type JobFailureCause = (typeof JOB_FAILURE_CAUSES)[number];

export const jobStatusUpdateSchema = z.strictObject({
  jobId: z.uuid(),
  status: z.enum(['running', 'success', 'failed', 'cancelled']),
  exitCode: z.number().int().nullable().optional(),
  error: z.string().max(4000).nullable().optional(),
  cause: z.enum(JOB_FAILURE_CAUSES).nullable().optional(),
  /** The manifest step running or at fault. */
  step: z.string().max(100).nullable().optional(),
  /** Absolute path of the release directory, once checked out. */
  releaseDir: z.string().max(4096).nullable().optional(),
});
export type JobStatusUpdate = z.infer<typeof jobStatusUpdateSchema>;

/** A job pushed to the agent. */
export const jobAssignmentSchema = z.strictObject({
  jobId: z.uuid(),
  repository: z.strictObject({ name: repositoryNameSchema, url: z.string().min(1).max(4096) }),
  ref: gitRefSchema,
  sha: shaSchema,
  /** Seconds; the whole job is cancelled past it. */
  timeoutSec: z.number().int().positive().max(86_400),
});
export type JobAssignment = z.infer<typeof jobAssignmentSchema>;

export const jobCancelSchema = z.strictObject({ jobId: z.uuid() });

export const configureSchema = z.strictObject({
  environment: z.string().max(64),
  labels: z.record(z.string().max(64), z.string().max(256)),
});
export type AgentConfigure = z.infer<typeof configureSchema>;

/** The agent's answer to `agent:configure`: it checks its own installation. */
export const configureResultSchema = z.object({
  info: agentInfoSchema,
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
});
export type ConfigureResult = z.infer<typeof configureResultSchema>;

export const credentialSchema = z.strictObject({ credential: z.string().min(32).max(200) });

export interface AgentToControllerEvents {
  'agent:hello': (info: AgentInfo, ack: (res: Ack<HelloAck>) => void) => void;
  'agent:heartbeat': (hb: Heartbeat) => void;
  'job:logs': (batch: JobLogs) => void;
  'job:status': (update: JobStatusUpdate, ack: (res: Ack<{ ok: true }>) => void) => void;
}

export interface ControllerToAgentEvents {
  'agent:ping': (payload: { sentAt: string }, ack: (res: { receivedAt: string }) => void) => void;
  'agent:configure': (payload: AgentConfigure, ack: (res: Ack<ConfigureResult>) => void) => void;
  /** Switches the agent from its join token to its long-lived credential; the agent persists it. */
  'agent:credential': (payload: { credential: string }, ack: (res: Ack<{ ok: true }>) => void) => void;
  'job:assign': (job: JobAssignment, ack: (res: Ack<{ accepted: true }>) => void) => void;
  'job:cancel': (payload: { jobId: string }, ack: (res: Ack<{ ok: true }>) => void) => void;
}
