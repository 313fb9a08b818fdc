import { createHash } from 'node:crypto';
import { homedir, hostname as osHostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { PASS_ENV_NAME_RE } from './child-env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Each flag and the environment variable that stands in for it (the flag wins). */
export const ENV_VARS = {
  controller: 'DEPLOYBOT_CONTROLLER',
  hostname: 'DEPLOYBOT_HOSTNAME',
  token: 'DEPLOYBOT_TOKEN',
  workdir: 'DEPLOYBOT_WORKDIR',
  stateDir: 'DEPLOYBOT_STATE_DIR',
  passEnv: 'DEPLOYBOT_PASS_ENV',
  keepReleases: 'DEPLOYBOT_KEEP_RELEASES',
  concurrency: 'DEPLOYBOT_CONCURRENCY',
  logLevel: 'DEPLOYBOT_LOG_LEVEL',
} as const;

/** RFC 1123 host names, lower case, as the controller enrolls them. */
const HOSTNAME_RE =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const controllerUrl = z
  .string()
  .refine(
    (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
    'must be an http:// or https:// URL',
  );

const configSchema = z.object({
  /**
   * One controller URL, or several (the flag repeated, or a comma-separated list): controllers sharing one
   * database, tried in turn when the connection is lost.
   */
  controller: z
    .union([z.string(), z.array(z.string())], { error: 'is required' })
    .transform((v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(controllerUrl).min(1, 'is required')),
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
  stateDir: z
    .string()
    .min(1, 'must not be empty')
    .transform((p) => path.resolve(p))
    .optional(),
  passEnv: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    )
    .refine(
      (names) => names.every((n) => PASS_ENV_NAME_RE.test(n)),
      'must be variable names separated by commas, none of them DEPLOYBOT_*',
    ),
  keepReleases: z.coerce.number().int().min(1).max(100).default(5),
  concurrency: z.coerce.number().int().min(1).max(32).default(1),
  logLevel: z.enum(LOG_LEVELS).default('info'),
});
export type AgentConfig = Omit<z.infer<typeof configSchema>, 'stateDir' | 'controller'> & {
  /** The controllers to dial, first one first; after a lost connection, the next one. */
  controllers: string[];
  /** Where the credential lives: never inside the work dir, where the steps run. */
  stateDir: string;
};

export class ConfigError extends Error {}

const FLAG_NAMES: Record<string, string> = {
  controller: '--controller',
  hostname: '--hostname',
  token: '--token',
  workdir: '--workdir',
  stateDir: '--state-dir',
  passEnv: '--pass-env',
  keepReleases: '--keep-releases',
  concurrency: '--concurrency',
  logLevel: '--log-level',
};

/** Validates what commander collected; the message names the flag at fault, as the operator typed it. */
export function resolveConfig(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): AgentConfig {
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
  const { workdir, controller: controllers, ...rest } = parsed.data;
  const stateDir = parsed.data.stateDir ?? defaultStateDir(workdir, env);
  if (contains(workdir, stateDir) || contains(stateDir, workdir)) {
    throw new ConfigError(
      `--state-dir (or ${ENV_VARS.stateDir}) ${stateDir} and --workdir ${workdir} must not contain each other: ` +
        'steps run inside the work dir, and the state dir holds the agent credential',
    );
  }
  return { ...rest, workdir, controllers, stateDir };
}

/**
 * `$XDG_STATE_HOME/deploybot-agent/<work dir hash>` (`~/.local/state/…` by default): outside the work dir, and one
 * per work dir, so agents of one user on one machine keep apart, like their work dirs.
 */
export function defaultStateDir(workdir: string, env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), '.local', 'state');
  const id = createHash('sha256').update(path.resolve(workdir)).digest('hex').slice(0, 16);
  return path.join(base, 'deploybot-agent', id);
}

/** Whether `inner` is `outer` or below it. */
function contains(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || !(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel));
}
