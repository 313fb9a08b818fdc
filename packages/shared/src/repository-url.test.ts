import { describe, expect, it } from 'vitest';
import { createRepositoryBodySchema } from './fleet';
import {
  credentialSecrets,
  gitCredentialEnv,
  redactCredentials,
  splitRepositoryUrl,
  withCredentials,
} from './repository-url';

describe('splitRepositoryUrl', () => {
  it('takes all user-info out of http(s) URLs, decoded, and leaves the rest as written', () => {
    expect(splitRepositoryUrl('https://deployer:ghp_S3cret@Git.Example.com:8443/Org/App.git')).toEqual({
      url: 'https://Git.Example.com:8443/Org/App.git',
      credentials: { username: 'deployer', password: 'ghp_S3cret' },
    });
    // A token standing in the user name is a credential too.
    expect(splitRepositoryUrl('https://glpat-abc123@gitlab.example.com/a.git')).toEqual({
      url: 'https://gitlab.example.com/a.git',
      credentials: { username: 'glpat-abc123', password: '' },
    });
    expect(splitRepositoryUrl('http://us%40er:p%3Aw%2Fd@127.0.0.1:9/r.git').credentials).toEqual({
      username: 'us@er',
      password: 'p:w/d',
    });
    // The host follows the last `@`.
    expect(splitRepositoryUrl('https://u:p@ss@host/r.git')).toEqual({
      url: 'https://host/r.git',
      credentials: { username: 'u', password: 'p@ss' },
    });
  });

  it('leaves URLs without user-info, local paths, scp-like and ssh user names alone', () => {
    for (const url of [
      'https://git.example.com/a.git',
      '/srv/git/a.git',
      'file:///srv/git/a.git',
      'git@github.com:org/app.git',
      'ssh://git@github.com/org/app.git',
    ]) {
      expect(splitRepositoryUrl(url)).toEqual({ url, credentials: null });
    }
  });

  it('takes only the password out of an ssh URL', () => {
    expect(splitRepositoryUrl('ssh://git:hunter22@host/a.git')).toEqual({
      url: 'ssh://git@host/a.git',
      credentials: { username: 'git', password: 'hunter22' },
    });
  });
});

describe('withCredentials', () => {
  it('puts the user-info back, encoded, for http(s) only', () => {
    const creds = { username: 'us@er', password: 'p:w/d?#' };
    const url = withCredentials('https://host:8443/a.git', creds);
    expect(url).toBe('https://us%40er:p%3Aw%2Fd%3F%23@host:8443/a.git');
    expect(splitRepositoryUrl(url)).toEqual({ url: 'https://host:8443/a.git', credentials: creds });
    expect(withCredentials('https://host/a.git', { username: 'tok', password: '' })).toBe(
      'https://tok@host/a.git',
    );
    expect(withCredentials('https://host/a.git', null)).toBe('https://host/a.git');
    expect(withCredentials('ssh://git@host/a.git', creds)).toBe('ssh://git@host/a.git');
  });
});

describe('redactCredentials', () => {
  it('cuts user-info out of every URL in a text, and query tokens', () => {
    expect(
      redactCredentials(
        "fatal: unable to access 'https://deployer:S3cret@host/a.git/': 403; also http://tok@h2/x and ssh://git:pw@h3/y",
      ),
    ).toBe("fatal: unable to access 'https://host/a.git/': 403; also http://h2/x and ssh://git@h3/y");
    expect(redactCredentials('see https://host/a.git?access_token=abc&x=1 or ?private_token=def')).toBe(
      'see https://host/a.git?access_token=***&x=1 or ?private_token=***',
    );
    expect(redactCredentials('https://u:p@ss@host/r.git')).toBe('https://host/r.git');
    expect(redactCredentials('mail me at a@b.c, or git@host:org/a.git')).toBe(
      'mail me at a@b.c, or git@host:org/a.git',
    );
  });

  it('cuts the literal secrets given, raw and percent-encoded, but not too-short ones', () => {
    expect(redactCredentials('Basic said S3cret/x and S3cret%2Fx', ['S3cret/x'])).toBe(
      'Basic said *** and ***',
    );
    expect(redactCredentials('a cat', ['a'])).toBe('a cat');
  });

  it('knows which value of the credentials is the secret', () => {
    expect(credentialSecrets({ username: 'deployer', password: 'pw-123' })).toEqual(['pw-123']);
    expect(credentialSecrets({ username: 'ghp_token', password: '' })).toEqual(['ghp_token']);
    expect(credentialSecrets(null)).toEqual([]);
  });
});

describe('gitCredentialEnv', () => {
  it('sends Basic credentials as a header scoped to the URL, after config entries the environment has', () => {
    const env = gitCredentialEnv(
      'https://host/a.git',
      { username: 'deployer', password: 'pässword' },
      { GIT_CONFIG_COUNT: '2' },
    );
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_2: 'http.https://host/a.git.extraHeader',
      GIT_CONFIG_VALUE_2: `Authorization: Basic ${Buffer.from('deployer:pässword').toString('base64')}`,
    });
    expect(gitCredentialEnv('https://host/a.git', null)).toEqual({});
    expect(gitCredentialEnv('ssh://git@host/a.git', { username: 'git', password: 'x' })).toEqual({});
  });
});

describe('repository URL validation', () => {
  const url = (u: string) => createRepositoryBodySchema.safeParse({ name: 'org/app', url: u });
  it('accepts user-info, refuses query strings and ssh passwords', () => {
    expect(url('https://deployer:S3cret@host/a.git').success).toBe(true);
    expect(url('https://host/a.git?access_token=abc').success).toBe(false);
    expect(url('https://host/a.git#frag').success).toBe(false);
    expect(url('ssh://git:pw@host/a.git').success).toBe(false);
    expect(url('ssh://git@host:22/a.git').success).toBe(true);
  });
});
