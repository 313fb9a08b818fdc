import { GIT_ALLOWED_PROTOCOLS } from '@deploybot/shared';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What a manifest step inherits from the agent's environment: where programs are, who and where it is, language
 * and time zone. Nothing else: the agent may run beside a controller, in a shell or under a unit that holds
 * secrets (DATABASE_URL, OPENAI_API_KEY, DEPLOYBOT_TOKEN, cloud keys), and a step is code from a repository.
 * An operator passes more by name with `--pass-env`.
 */
const STEP_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'];
const STEP_PREFIXES = ['LC_'];

/**
 * What git needs on top to reach a repository: the ssh agent and command, proxies and certificate bundles.
 * git runs no code of the repository, so these do not reach a step.
 */
const GIT_VARIABLES = [
  'SSH_AUTH_SOCK',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
];

/** Names an operator may pass on to steps: never the agent's own settings. */
export const PASS_ENV_NAME_RE = /^(?!DEPLOYBOT_)[A-Za-z_][A-Za-z0-9_]*$/;

export interface ChildEnvOptions {
  /** The environment to pick from. Default: the agent's. */
  source?: NodeJS.ProcessEnv;
  /** More variable names to pass on (`--pass-env`); DEPLOYBOT_* names are never passed. */
  passEnv?: readonly string[];
}

function pick(
  source: NodeJS.ProcessEnv,
  names: readonly string[],
  prefixes: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined || key.startsWith('DEPLOYBOT_')) continue;
    if (names.includes(key) || prefixes.some((p) => key.startsWith(p))) env[key] = value;
  }
  return env;
}

/** The environment a manifest step starts from (the agent then adds the manifest's and its own DEPLOYBOT_* ones). */
export function stepBaseEnv(options: ChildEnvOptions = {}): Record<string, string> {
  const env = pick(
    options.source ?? process.env,
    [...STEP_VARIABLES, ...(options.passEnv ?? [])],
    STEP_PREFIXES,
  );
  env.PATH ??= DEFAULT_PATH;
  return env;
}

/**
 * git's environment: never a prompt (nobody is at the agent's terminal), messages in English (they are matched
 * and shown), and only the transports of {@link GIT_ALLOWED_PROTOCOLS}, whatever the host's git configuration
 * says: the URL comes from the controller, and `ext::` would run a command named in it.
 */
export function gitEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env = pick(source, [...STEP_VARIABLES, ...GIT_VARIABLES], STEP_PREFIXES);
  env.PATH ??= DEFAULT_PATH;
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS.join(':'),
    LC_ALL: 'C',
  };
}
