import { z } from 'zod';
import {
  type AgentInfo,
  gitRefSchema,
  JOB_FAILURE_CAUSES,
  JOB_STATUSES,
  type JobAction,
  type JobFailureCause,
  type JobStatus,
  type LogLine,
  releaseNameSchema,
  repositoryNameSchema,
  shaSchema,
} from './agent-protocol';
import { HOSTNAME_RE } from './inputs';

export const AGENT_STATUSES = ['enrolling', 'online', 'offline', 'draining'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface AgentDto {
  id: string;
  hostname: string;
  environment: string;
  labels: Record<string, string>;
  /** Derived: `draining` when set so; otherwise `online` while heartbeats are fresh, else `offline`. */
  status: AgentStatus;
  draining: boolean;
  version: string | null;
  gitVersion: string | null;
  workdirWritable: boolean | null;
  address: string | null;
  lastHeartbeatAt: string | null;
  connectedAt: string | null;
  disconnectedAt: string | null;
  runningJobs: number;
  createdAt: string;
  registeredBy: string;
}

/** An agent connected with a join token from POST /v1/agents/join-tokens, waiting for an admin to decide. */
export interface EnrollmentDto {
  /** Names this connection: a decision applies to the connection reviewed, never to a later one. */
  id: string;
  hostname: string;
  address: string | null;
  connectedAt: string;
  info: AgentInfo;
}

export interface RepositoryDto {
  id: string;
  name: string;
  /** Never with user-info: credentials given in the URL are stored sealed apart from it. */
  url: string;
  /** Whether credentials (user-info given at registration) are stored for it, sealed. */
  hasCredentials: boolean;
  defaultRef: string;
  createdAt: string;
}

export interface JobDto {
  id: string;
  /** `deploy` makes a new release and switches to it; `activate` switches back to a release already there. */
  action: JobAction;
  /**
   * The release the job is about: for a deploy, the one it makes (`releases/<id>`, named after the job); for an
   * activation, the one it switches to.
   */
  release: string;
  /**
   * The release `current` pointed at before the job switched it, once the job succeeded; null when there was
   * none, or the agent did not say (agents from before rollback).
   */
  previousRelease: string | null;
  repository: string;
  repositoryUrl: string;
  ref: string;
  sha: string;
  agentId: string;
  agentHostname: string;
  status: JobStatus;
  exitCode: number | null;
  error: string | null;
  cause: JobFailureCause | null;
  step: string | null;
  releaseDir: string | null;
  attempt: number;
  retryOf: string | null;
  idempotencyKey: string | null;
  runId: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type JobLogLineDto = LogLine;

export interface HostDto {
  hostname: string;
  agentId: string;
  environment: string;
  status: AgentStatus;
  address: string | null;
  currentReleases: { repository: string; jobId: string; sha: string; deployedAt: string }[];
}

export const agentIdSchema = z.uuid({ message: 'agent id must be a UUID' });
export const jobIdSchema = z.uuid({ message: 'job id must be a UUID' });

export const hostnameSchema = z
  .string()
  .max(253)
  .regex(HOSTNAME_RE, 'hostname must be an RFC 1123 host name (letters, digits, hyphens and dots)')
  // Host names are case-insensitive: one spelling, lower-case, everywhere.
  .transform((h) => h.toLowerCase());
export const ENVIRONMENT_RE = /^[a-z][a-z0-9-]{0,31}$/;
export const environmentSchema = z
  .string()
  .regex(ENVIRONMENT_RE, 'environment must be lower-case letters, digits and hyphens');
export const labelsSchema = z
  .record(
    z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'label keys are lower-case identifiers'),
    z.string().max(256),
  )
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

/**
 * Git URLs: a local absolute path, file://, http(s)://, ssh:// or scp-like `user@host:path`.
 * Never `ext::` or other transports that run commands, never a `-` where git or ssh would read an option
 * (`ssh://-oProxyCommand=…`).
 */
export const GIT_URL_RE =
  /^(?:\/[^\0]*|file:\/\/\/[^\0]+|https?:\/\/[^\s-][^\s]*|ssh:\/\/[^\s-][^\s]*|[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9.][A-Za-z0-9.-]*:[^\s]+)$/;
export const gitUrlSchema = z
  .string()
  .max(2048)
  .regex(GIT_URL_RE, 'url must be an absolute path, file://, http(s)://, ssh:// or user@host:path git URL')
  // Control and invisible formatting characters (newlines, RTL overrides, zero-width) have no place in a URL.
  .refine((u) => !/[\p{Cc}\p{Cf}]/u.test(u), 'url must not contain control or invisible characters')
  // git's smart HTTP appends its own path and query, so a query never reached the host: a token there only
  // ended up on screen. User-info works, and is stored sealed.
  .refine(
    (u) => !/^https?:\/\/[^?#]*[?#]/i.test(u),
    'url must not have a query or fragment; put a token in the user-info (https://user:TOKEN@host/org/app.git), which is stored sealed',
  )
  .refine(
    (u) => !/^ssh:\/\/[^/@]*:[^/@]*@/i.test(u),
    'ssh URLs authenticate with a key; a password in the URL is never used',
  );

export const createRepositoryBodySchema = z.strictObject({
  name: repositoryNameSchema,
  url: gitUrlSchema,
  default_ref: gitRefSchema.default('main'),
});

/** A new URL replaces the old one with its credentials: a URL without user-info leaves none. */
export const updateRepositoryBodySchema = z
  .strictObject({ url: gitUrlSchema.optional(), default_ref: gitRefSchema.optional() })
  .refine((b) => b.url !== undefined || b.default_ref !== undefined, 'give url, default_ref or both');

export const updateAgentBodySchema = z.strictObject({
  draining: z.boolean().optional(),
  environment: environmentSchema.optional(),
  labels: labelsSchema.optional(),
});

/** POST /v1/agents/enrollments/{id}/approve: what the new agent is for. */
export const approveEnrollmentBodySchema = z.strictObject({
  environment: environmentSchema,
  labels: labelsSchema.default({}),
});

export const createJobBodySchema = z.strictObject({
  repository: repositoryNameSchema,
  ref: gitRefSchema.optional(),
  /** Target agent by id or hostname. */
  agent: z.string().min(1).max(253),
  idempotency_key: z.string().min(1).max(200).optional(),
  timeout_sec: z.number().int().positive().max(86_400).optional(),
});

export const listJobsQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  agent: z.string().max(253).optional(),
  repository: repositoryNameSchema.optional(),
  cause: z.enum(JOB_FAILURE_CAUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type ListJobsQuery = z.infer<typeof listJobsQuerySchema>;

export const jobLogsQuerySchema = z.object({
  after: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

/**
 * `fleet.jobs.activateRelease`: switch an agent's `current` back to a release it still has, made by an earlier
 * successful deploy.
 */
export const activateReleaseInputSchema = z.strictObject({
  /** Agent id or hostname. */
  agent: z.string().min(1).max(253),
  repository: repositoryNameSchema,
  release: releaseNameSchema,
  /** Switch only while `current` points at this release (an undo must not replace a later deploy). */
  onlyIfCurrent: releaseNameSchema.nullable().optional(),
  /** Why, for the audit log. */
  reason: z.string().max(500).nullable().optional(),
  createdBy: z.string().min(1).max(200),
  idempotencyKey: z.string().min(1).max(200).nullable().optional(),
  runId: z.uuid().nullable().optional(),
  timeoutSec: z.number().int().positive().max(86_400).optional(),
});
export type ActivateReleaseInput = z.input<typeof activateReleaseInputSchema>;

export const resolvedRefSchema = z.object({ ref: gitRefSchema, sha: shaSchema });
export type AgentInfoDto = AgentInfo;

/** Fleet changes pushed to web clients that joined the fleet room. */
export interface FleetServerToClientEvents {
  'agent:status': (agent: AgentDto) => void;
  'job:status': (job: JobDto) => void;
  'job:log': (batch: { jobId: string; lines: LogLine[] }) => void;
}
