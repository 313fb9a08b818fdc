import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Each flag and the environment variable that stands in for it (the flag wins). */
export const ENV_VARS = {
  controller: 'DEPLOYBOT_CONTROLLER',
  hostname: 'DEPLOYBOT_HOSTNAME',
  token: 'DEPLOYBOT_TOKEN',
  workdir: 'DEPLOYBOT_WORKDIR',
  keepReleases: 'DEPLOYBOT_KEEP_RELEASES',
  concurrency: 'DEPLOYBOT_CONCURRENCY',
  logLevel: 'DEPLOYBOT_LOG_LEVEL',
} as const;

/** RFC 1123 host names, lower case, as the controller enrolls them. */
const HOSTNAME_RE =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const configSchema = z.object({
  controller: z
    .string({ error: 'is required' })
    .refine(
      (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
      'must be an http:// or https:// URL',
    ),
  hostname: z
    .string()
    .toLowerCase()
    .regex(HOSTNAME_RE, 'must be an RFC 1123 host name (letters, digits, - and .)'),
  token: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(200, 'must be at most 200 characters')
    .optional(),
  workdir: z
    .string({ error: 'is required' })
    .min(1, 'is required')
    .transform((p) => path.resolve(p)),
  keepReleases: z.coerce.number().int().min(1).max(100).default(5),
  concurrency: z.coerce.number().int().min(1).max(32).default(1),
  logLevel: z.enum(LOG_LEVELS).default('info'),
});
export type AgentConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

const FLAG_NAMES: Record<string, string> = {
  controller: '--controller',
  hostname: '--hostname',
  token: '--token',
  workdir: '--workdir',
  keepReleases: '--keep-releases',
  concurrency: '--concurrency',
  logLevel: '--log-level',
};

/** Validates what commander collected; the message names the flag at fault, as the operator typed it. */
export function resolveConfig(raw: Record<string, unknown>): AgentConfig {
  const input = { ...raw, hostname: raw.hostname ?? osHostname() };
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const env = ENV_VARS[key as keyof typeof ENV_VARS];
      return `${FLAG_NAMES[key] ?? key}${env ? ` (or ${env})` : ''} ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return parsed.data;
}
