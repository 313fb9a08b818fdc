const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment every child process starts from: the agent's own, minus its DEPLOYBOT_* settings. The join
 * token and controller address are the agent's secrets, not the deployed repository's; a manifest step must not
 * be able to read them (and then impersonate the agent).
 */
export function baseChildEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined || key.startsWith('DEPLOYBOT_')) continue;
    env[key] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  return env;
}

/** Git must never stop to ask a person for a password or passphrase: nobody is at the agent's terminal. */
export function gitEnv(): Record<string, string> {
  return { ...baseChildEnv(), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}
