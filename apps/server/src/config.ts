import { resolve } from 'node:path';
import { z } from 'zod';
import type { SecurityOptions } from './app';
import type { AssistantConfig } from './assistant/config';
import { parseApproverRoles } from './auth/decision-policy';
import { resolveDataDir } from './data-dir';
import { type DemoDecision, decideDemo } from './demo/demo-policy';
import type { FleetOptions } from './fleet/fleet';

const envSchema = z.object({
  /** HTTP and Socket.IO port. Default 8080. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Interface to listen on. Default 0.0.0.0. */
  HOST: z.string().default('0.0.0.0'),
  /**
   * Where the embedded database and demo files live, or `memory://`. Default `data` at the repository root; a
   * relative path is taken from the directory the command ran in.
   */
  DEPLOYBOT_DATA_DIR: z.string().optional(),
  /** PostgreSQL connection string; when set, it replaces the embedded PGlite. */
  DATABASE_URL: z.string().optional(),
  /**
   * Redis URL (`redis://host:6379`): when set, Socket.IO events cross controllers through Redis instead of
   * PostgreSQL's NOTIFY. Optional even with several controllers.
   */
  REDIS_URL: z.string().optional(),
  /** Log lines: `pretty` (readable, coloured) or `json` (one object a line). Default pretty on a terminal, else json. */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  /** pino level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * On PostgreSQL: how long a controller's lease on its runs lasts unless renewed (it renews four times as
   * often). Another controller takes over the runs of one that died within about this long. Default 10 s.
   */
  DEPLOYBOT_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(10_000),
  /**
   * Create the demo repository and start the local demo agent. Unset (default): only on the embedded database
   * with HOST on loopback. `true` forces it on, `false` turns it off.
   */
  DEPLOYBOT_DEMO: z.enum(['true', 'false', '1', '0']).optional(),
  /** Where the demo agent keeps its work dir and credential; outside the data dir. Default: a dir in the system temp dir. */
  DEPLOYBOT_DEMO_DIR: z.string().min(1).optional(),
  /** Log lines stored per job; the first line past it becomes a truncation marker. Default 100000. */
  DEPLOYBOT_JOB_LOG_MAX_LINES: z.coerce.number().int().min(10).default(100_000),
  /** Bytes of log text stored per job, likewise. Default 33554432 (32 MiB). */
  DEPLOYBOT_JOB_LOG_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024),
  /** URL agents use to reach the controller (shown in enrollment commands). Default http://localhost:PORT. */
  DEPLOYBOT_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Interval agents heartbeat at, ms. Default 5000. */
  DEPLOYBOT_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Heartbeat age after which an agent is offline, ms. Default 15000. */
  DEPLOYBOT_OFFLINE_AFTER_MS: z.coerce.number().int().min(100).default(15_000),
  /** How long agents' heartbeat history is kept, ms. Default 24 hours. */
  DEPLOYBOT_HEARTBEAT_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(24 * 3_600_000),
  /** After a start, how long deployments wait for agents connected before to reconnect, ms. Default 60000. */
  DEPLOYBOT_RECONNECT_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** Grace period before a job whose agent vanished fails with "agent lost", ms. Default 30000. */
  DEPLOYBOT_JOB_LOST_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  /** Join token lifetime, ms. Default 15 minutes. */
  DEPLOYBOT_JOIN_TOKEN_TTL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  /** Default job timeout, seconds. Default 1800. */
  DEPLOYBOT_JOB_TIMEOUT_SEC: z.coerce.number().int().min(1).max(86_400).default(1800),
  /** Token of the bootstrap `admin` user created on an empty database; generated and printed when unset. */
  DEPLOYBOT_ADMIN_TOKEN: z
    .string()
    .regex(/^dbt_[A-Za-z0-9_-]{20,200}$/, 'must look like dbt_ followed by at least 20 URL-safe characters')
    .optional(),
  /** 32 bytes, base64: seals secret inputs at rest. Default: generated once into `<data dir>/secret.key`. */
  DEPLOYBOT_SECRET_KEY: z
    .string()
    .refine(
      (v) => Buffer.from(v, 'base64').length === 32,
      'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
    )
    .optional(),
  /** Forbid approving a gate of a run you started. Default false. */
  DEPLOYBOT_FOUR_EYES: z.enum(['true', 'false', '1', '0']).default('false'),
  /** Role needed to decide a workflow's gates, e.g. `deploy_application=admin,health_check=operator`. Default approver. */
  DEPLOYBOT_APPROVER_ROLES: z.string().optional(),
  /** Comma-separated browser origins allowed besides the controller's own. Default none. */
  DEPLOYBOT_CORS_ORIGINS: z.string().optional(),
  /** Login attempts per address per minute. Default 10. */
  DEPLOYBOT_LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /**
   * Browsers reach the controller over HTTPS only (directly or through a TLS proxy): send HSTS, ask browsers to
   * upgrade insecure requests, mark the session cookie Secure. Default false, so plain HTTP works on any host.
   */
  DEPLOYBOT_HTTPS: z.enum(['true', 'false', '1', '0']).default('false'),
  /**
   * Which proxies' X-Forwarded-* headers to believe (Express's `trust proxy`): `false` (default), `loopback`,
   * a hop count, or a comma-separated list of addresses and CIDRs. `true` would let any client pick its address.
   */
  DEPLOYBOT_TRUST_PROXY: z
    .string()
    .regex(
      /^(false|true|loopback|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/,
      'must be false, true, loopback, a hop count, or comma-separated addresses/CIDRs',
    )
    .default('false'),
  /** Requests per second one web client socket may send (a burst of 3× is allowed). Default 20. */
  DEPLOYBOT_SOCKET_RATE_LIMIT: z.coerce.number().int().min(1).default(20),
  /** Requests per second one user may send over all of their sockets (a burst of 3× is allowed). Default 50. */
  DEPLOYBOT_USER_SOCKET_RATE_LIMIT: z.coerce.number().int().min(1).default(50),
  /** Web client sockets one user may have open at once. Default 20. */
  DEPLOYBOT_SOCKETS_PER_USER: z.coerce.number().int().min(1).default(20),
  /** How long register_agent waits for the new agent to connect, ms. Default 10 minutes. */
  DEPLOYBOT_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(10 * 60_000),
  /** Who answers the chat: `local` (built in, offline) or `openai` (any OpenAI-compatible API). Default local. */
  DEPLOYBOT_AI_PROVIDER: z.enum(['local', 'openai']).default('local'),
  /** What answers when the openai provider fails before it said anything: `local` or `none`. Default local. */
  DEPLOYBOT_AI_FALLBACK: z.enum(['local', 'none']).default('local'),
  /** API key of the openai provider. Never logged. */
  OPENAI_API_KEY: z.string().optional(),
  /** Base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1). Default OpenAI's. */
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Model of the openai provider. Default gpt-4o-mini. */
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** Longest silence tolerated from the model endpoint, ms. Default 60000. */
  DEPLOYBOT_AI_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Model → tools rounds for one message. Default 6. */
  DEPLOYBOT_AI_MAX_TOOL_ROUNDS: z.coerce.number().int().min(1).max(20).default(6),
  /**
   * Bearer token a Prometheus scraper sends to read /metrics (a user token works too). Unset: /metrics is open
   * without a token to requests from this machine (loopback) only.
   */
  DEPLOYBOT_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .regex(/^\S+$/, 'must not contain spaces')
    .optional(),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  /** DEPLOYBOT_DATA_DIR was not set: the default location, which an earlier version's data may stand in for. */
  dataDirDefaulted: boolean;
  databaseUrl?: string;
  /** REDIS_URL: Socket.IO's adapter goes through Redis rather than PostgreSQL. */
  redisUrl?: string;
  logFormat?: 'pretty' | 'json';
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** DEPLOYBOT_LEASE_MS: run leases on PostgreSQL. */
  leaseMs: number;
  demo: DemoDecision;
  /** DEPLOYBOT_DEMO_DIR, resolved. */
  demoDir?: string;
  fleet: FleetOptions;
  connectTimeoutMs: number;
  adminToken?: string;
  secretKey?: string;
  security: SecurityOptions;
  assistant: AssistantConfig;
  /** DEPLOYBOT_METRICS_TOKEN. */
  metricsToken?: string;
};

/** Reads the configuration from the environment; a bad value stops the start with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolveDataDir(e.DEPLOYBOT_DATA_DIR, env),
    dataDirDefaulted: !e.DEPLOYBOT_DATA_DIR,
    databaseUrl: e.DATABASE_URL || undefined,
    redisUrl: e.REDIS_URL || undefined,
    logFormat: e.LOG_FORMAT,
    logLevel: e.LOG_LEVEL,
    leaseMs: e.DEPLOYBOT_LEASE_MS,
    demo: decideDemo({ setting: e.DEPLOYBOT_DEMO, databaseUrl: e.DATABASE_URL || undefined, host: e.HOST }),
    demoDir: e.DEPLOYBOT_DEMO_DIR ? resolve(e.DEPLOYBOT_DEMO_DIR) : undefined,
    connectTimeoutMs: e.DEPLOYBOT_CONNECT_TIMEOUT_MS,
    assistant: {
      provider: e.DEPLOYBOT_AI_PROVIDER,
      fallback: e.DEPLOYBOT_AI_FALLBACK,
      openai: {
        apiKey: e.OPENAI_API_KEY || undefined,
        baseURL: e.OPENAI_BASE_URL,
        model: e.OPENAI_MODEL,
        timeoutMs: e.DEPLOYBOT_AI_TIMEOUT_MS,
        maxToolRounds: e.DEPLOYBOT_AI_MAX_TOOL_ROUNDS,
      },
    },
    adminToken: e.DEPLOYBOT_ADMIN_TOKEN,
    metricsToken: e.DEPLOYBOT_METRICS_TOKEN,
    secretKey: e.DEPLOYBOT_SECRET_KEY,
    security: {
      fourEyes: e.DEPLOYBOT_FOUR_EYES === 'true' || e.DEPLOYBOT_FOUR_EYES === '1',
      approverRoles: parseApproverRoles(e.DEPLOYBOT_APPROVER_ROLES),
      corsOrigins: (e.DEPLOYBOT_CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      loginLimitPerMinute: e.DEPLOYBOT_LOGIN_RATE_LIMIT,
      https: e.DEPLOYBOT_HTTPS === 'true' || e.DEPLOYBOT_HTTPS === '1',
      trustProxy: parseTrustProxy(e.DEPLOYBOT_TRUST_PROXY),
      sockets: {
        ratePerSocket: e.DEPLOYBOT_SOCKET_RATE_LIMIT,
        burstPerSocket: 3 * e.DEPLOYBOT_SOCKET_RATE_LIMIT,
        ratePerUser: e.DEPLOYBOT_USER_SOCKET_RATE_LIMIT,
        burstPerUser: 3 * e.DEPLOYBOT_USER_SOCKET_RATE_LIMIT,
        socketsPerUser: e.DEPLOYBOT_SOCKETS_PER_USER,
      },
    },
    fleet: {
      heartbeatIntervalMs: e.DEPLOYBOT_HEARTBEAT_MS,
      offlineAfterMs: e.DEPLOYBOT_OFFLINE_AFTER_MS,
      jobLostGraceMs: e.DEPLOYBOT_JOB_LOST_GRACE_MS,
      heartbeatRetentionMs: e.DEPLOYBOT_HEARTBEAT_RETENTION_MS,
      reconnectGraceMs: e.DEPLOYBOT_RECONNECT_GRACE_MS,
      joinTokenTtlMs: e.DEPLOYBOT_JOIN_TOKEN_TTL_MS,
      jobTimeoutSec: e.DEPLOYBOT_JOB_TIMEOUT_SEC,
      jobLogMaxLines: e.DEPLOYBOT_JOB_LOG_MAX_LINES,
      jobLogMaxBytes: e.DEPLOYBOT_JOB_LOG_MAX_BYTES,
      publicUrl: (e.DEPLOYBOT_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    },
  };
}

/** DEPLOYBOT_TRUST_PROXY → the value Express's `trust proxy` setting takes. */
export function parseTrustProxy(raw: string): boolean | number | string[] {
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw.split(',').map((part) => part.trim());
}
