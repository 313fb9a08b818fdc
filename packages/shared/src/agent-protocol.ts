import { z } from 'zod';
import type { Ack } from './errors';

/**
 * The deploy agent's wire protocol: Socket.IO namespace `/agents`. The agent dials out; the controller never
 * connects to agents. Every payload in both directions is validated with these schemas.
 */
export const AGENT_NAMESPACE = '/agents';
export const AGENT_PROTOCOL_VERSION = 1;

/**
 * The git transports an agent fetches over (`GIT_ALLOW_PROTOCOL`), which are those the controller accepts in a
 * repository URL: local paths and `file://`, `http(s)://`, `ssh://` and scp-like `user@host:path`. Not `git://`:
 * it has neither authentication nor encryption, so anyone on the network path could answer with commits of their
 * own. Never `ext::`, which runs a command named in the URL.
 */
export const GIT_ALLOWED_PROTOCOLS = ['file', 'http', 'https', 'ssh'] as const;

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

/** An agent names each release directory after the job that made it: a lower-case UUID. */
export const releaseNameSchema = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'a release is named after the job that made it (a lower-case UUID)',
  );

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
  /** The controller answers `job:logs` with a {@link LogsReceipt}. Older controllers do not: then logs are sent unacknowledged. */
  logReceipts: z.boolean().optional(),
  /**
   * The controller takes `previousRelease` in `job:status`. Older controllers refuse a status with a field they do
   * not know, so an agent sends it only when this is true.
   */
  previousRelease: z.boolean().optional(),
});
export type HelloAck = z.infer<typeof helloAckSchema>;

export const heartbeatSchema = z.strictObject({
  runningJobs: z.array(z.uuid()).max(100),
  /** 1-minute load average of the host. */
  load: z.number().nonnegative(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/**
 * Socket.IO's limit on one message (`maxHttpBufferSize`), which the controller sets: a bigger message makes it
 * drop the connection, and with it whatever the message carried.
 */
export const SOCKET_MAX_MESSAGE_BYTES = 1_000_000;
/** Longest log line, in characters. The agent truncates a longer line and says so at its end. */
export const LOG_LINE_MAX_CHARS = 16_384;
/** Most lines in one `job:logs` batch. */
export const LOG_BATCH_MAX_LINES = 1000;
/**
 * Largest `job:logs` batch as measured by {@link logBatchBytes}: a quarter of the socket limit, so that framing and
 * the worst escaping of a line (a control character is six bytes of JSON) always fit.
 */
export const LOG_BATCH_MAX_BYTES = 256 * 1024;
/** What a line's seq, stream, time and JSON punctuation add to its text, at most. */
const LOG_LINE_OVERHEAD_BYTES = 128;

/** Bytes `JSON.stringify(text)` takes in UTF-8, counted without building the string. */
export function jsonTextBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || (c >= 0x08 && c <= 0x0d && c !== 0x0b)) bytes += 2;
    else if (c < 0x20) bytes += 6;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** A log line's share of a batch, in the unit of {@link LOG_BATCH_MAX_BYTES}. */
export function logLineBytes(line: string): number {
  return jsonTextBytes(line) + LOG_LINE_OVERHEAD_BYTES;
}

export function logBatchBytes(lines: readonly { line: string }[]): number {
  let bytes = 0;
  for (const l of lines) bytes += logLineBytes(l.line);
  return bytes;
}

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export const logLineSchema = z.strictObject({
  seq: z.number().int().nonnegative().max(2_147_483_647),
  stream: z.enum(LOG_STREAMS),
  line: z.string().max(LOG_LINE_MAX_CHARS),
  at: z.iso.datetime({ offset: true }),
});
export type LogLine = z.infer<typeof logLineSchema>;

/**
 * Lines leave the agent in batches (every ~100 ms, or sooner when full) so that thousands of lines do not mean
 * thousands of messages; a batch is bounded in bytes as well as lines so that it always fits in one message.
 */
export const jobLogsSchema = z.strictObject({
  jobId: z.uuid(),
  lines: z
    .array(logLineSchema)
    .min(1)
    .max(LOG_BATCH_MAX_LINES)
    .refine(
      (lines) => logBatchBytes(lines) <= LOG_BATCH_MAX_BYTES,
      `a batch holds at most ${LOG_BATCH_MAX_BYTES} bytes of lines`,
    ),
});
export type JobLogs = z.infer<typeof jobLogsSchema>;

/**
 * The controller's answer to `job:logs`. The agent drops a batch only once it is acknowledged, and resends it
 * after a reconnect otherwise (the controller ignores lines it already has). `capped`: the job's log reached the
 * controller's limit and a marker line says so; further lines of the job would not be stored, so are not sent.
 */
export const logsReceiptSchema = z.object({
  stored: z.number().int().nonnegative(),
  capped: z.boolean(),
});
export type LogsReceipt = z.infer<typeof logsReceiptSchema>;

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
  /** An activation's release is no longer on the agent (pruned, or removed by hand). */
  'release_missing',
  /** An activation that was to replace one release found `current` pointing at another (a later deploy). */
  'current_moved',
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
  /** Absolute path of the release directory, once checked out (an activation: the release it switches to). */
  releaseDir: z.string().max(4096).nullable().optional(),
  /**
   * With `success`: the release `current` pointed at before the job switched it, null when there was none. Sent
   * only to controllers that said `previousRelease` in their hello answer.
   */
  previousRelease: releaseNameSchema.nullable().optional(),
});
export type JobStatusUpdate = z.infer<typeof jobStatusUpdateSchema>;

/**
 * What a job does on the agent. `deploy`: fetch, check out a new release, run its manifest, switch `current`.
 * `activate`: switch `current` to a release already on the agent (a rollback), nothing else.
 */
export const JOB_ACTIONS = ['deploy', 'activate'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/**
 * A deploy pushed to the agent. It carries no `action` on the wire: agents from before activations know only
 * this shape (strictly), and a deploy must keep reaching them.
 */
export const jobAssignmentSchema = z.strictObject({
  jobId: z.uuid(),
  action: z.literal('deploy').optional(),
  repository: z.strictObject({ name: repositoryNameSchema, url: z.string().min(1).max(4096) }),
  ref: gitRefSchema,
  sha: shaSchema,
  /** Seconds; the whole job is cancelled past it. */
  timeoutSec: z.number().int().positive().max(86_400),
});
export type JobAssignment = z.infer<typeof jobAssignmentSchema>;

/**
 * Points `current` at a release already on the agent. An agent from before activations refuses it (its strict
 * deploy schema does not take `action`), so it can never be mistaken for a deploy.
 */
export const releaseActivationSchema = z.strictObject({
  jobId: z.uuid(),
  action: z.literal('activate'),
  repository: z.strictObject({ name: repositoryNameSchema }),
  /** `releases/<release>` on the agent. */
  release: releaseNameSchema,
  /** What the release was deployed from, as the controller recorded it; the agent refuses a release holding another commit. */
  ref: gitRefSchema,
  sha: shaSchema,
  /**
   * Switch only while `current` points at this release, otherwise fail with `current_moved`: undoing a deploy
   * must not replace a later one. Absent or null: whatever `current` points at.
   */
  onlyIfCurrent: releaseNameSchema.nullable().optional(),
  timeoutSec: z.number().int().positive().max(86_400),
});
export type ReleaseActivation = z.infer<typeof releaseActivationSchema>;

/** Every job the controller pushes with `job:assign`, told apart by `action` (absent: a deploy). */
export const agentJobSchema = z.discriminatedUnion('action', [jobAssignmentSchema, releaseActivationSchema]);
export type AgentJob = z.infer<typeof agentJobSchema>;

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
  'job:logs': (batch: JobLogs, ack: (res: Ack<LogsReceipt>) => void) => void;
  'job:status': (update: JobStatusUpdate, ack: (res: Ack<{ ok: true }>) => void) => void;
}

export interface ControllerToAgentEvents {
  'agent:ping': (payload: { sentAt: string }, ack: (res: { receivedAt: string }) => void) => void;
  'agent:configure': (payload: AgentConfigure, ack: (res: Ack<ConfigureResult>) => void) => void;
  /** Switches the agent from its join token to its long-lived credential; the agent persists it. */
  'agent:credential': (payload: { credential: string }, ack: (res: Ack<{ ok: true }>) => void) => void;
  'job:assign': (job: AgentJob, ack: (res: Ack<{ accepted: true }>) => void) => void;
  'job:cancel': (payload: { jobId: string }, ack: (res: Ack<{ ok: true }>) => void) => void;
}
