import { describe, expect, it } from 'vitest';
import { gitEnv, stepBaseEnv } from './child-env';

const AGENT_ENV = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/deploy',
  USER: 'deploy',
  LANG: 'en_US.UTF-8',
  LC_TIME: 'C',
  TZ: 'UTC',
  DATABASE_URL: 'postgres://u:pw@db/deploybot',
  OPENAI_API_KEY: 'sk-secret',
  DEPLOYBOT_TOKEN: 'dbj_secret',
  DEPLOYBOT_WORKDIR: '/srv/deploybot',
  SSH_AUTH_SOCK: '/run/ssh-agent.sock',
  https_proxy: 'http://proxy:3128',
  GIT_ALLOW_PROTOCOL: 'ext:git:file',
  GIT_CONFIG_COUNT: '1',
  NODE_OPTIONS: '--require /tmp/evil.js',
};

describe('stepBaseEnv', () => {
  it('keeps only where, who and language, never the agent secrets', () => {
    expect(stepBaseEnv({ source: AGENT_ENV })).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/deploy',
      USER: 'deploy',
      LANG: 'en_US.UTF-8',
      LC_TIME: 'C',
      TZ: 'UTC',
    });
  });

  it('passes the variables the operator names, but never DEPLOYBOT_* ones', () => {
    const env = stepBaseEnv({ source: AGENT_ENV, passEnv: ['https_proxy', 'DEPLOYBOT_TOKEN', 'MISSING'] });
    expect(env.https_proxy).toBe('http://proxy:3128');
    expect(env.DEPLOYBOT_TOKEN).toBeUndefined();
    expect('MISSING' in env).toBe(false);
  });

  it('gives a PATH when the agent has none', () => {
    expect(stepBaseEnv({ source: {} }).PATH).toMatch(/\/usr\/bin/);
  });
});

describe('gitEnv', () => {
  it('adds what reaching a repository needs, and allows only the fetching transports', () => {
    const env = gitEnv(AGENT_ENV);
    expect(env).toMatchObject({
      SSH_AUTH_SOCK: '/run/ssh-agent.sock',
      https_proxy: 'http://proxy:3128',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: 'file:http:https:ssh',
    });
    for (const key of [
      'DATABASE_URL',
      'OPENAI_API_KEY',
      'DEPLOYBOT_TOKEN',
      'GIT_CONFIG_COUNT',
      'NODE_OPTIONS',
    ]) {
      expect(env[key], key).toBeUndefined();
    }
  });
});
