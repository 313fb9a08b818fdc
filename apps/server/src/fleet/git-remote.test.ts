import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHttpServer, startGitHttpServer } from '../../test/security/support/git-http-server';
import { GitRemoteError, resolveRef } from './git-remote';

let dir: string;
let repo: string;
let mainSha: string;
let tagSha: string;
let danglingSha: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    encoding: 'utf8',
  }).trim();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploybot-git-'));
  repo = join(dir, 'app');
  execFileSync('git', ['init', '-q', '--initial-branch=main', repo]);
  writeFileSync(join(repo, 'a.txt'), 'one');
  git('add', '.');
  git('commit', '-qm', 'one');
  git('tag', '-a', 'v1', '-m', 'v1'); // annotated: ls-remote peels it with ^{}
  tagSha = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'a.txt'), 'two');
  git('commit', '-qam', 'two');
  mainSha = git('rev-parse', 'HEAD');
  git('checkout', '-qb', 'tmp');
  git('commit', '-q', '--allow-empty', '-m', 'unreferenced soon');
  danglingSha = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'main');
  git('branch', '-qD', 'tmp');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveRef', () => {
  it('resolves branches, annotated tags (peeled) and full shas', async () => {
    expect(await resolveRef(repo, 'main')).toEqual({
      sha: mainSha,
      resolvedFrom: 'refs/heads/main',
      verified: true,
    });
    expect(await resolveRef(repo, 'v1')).toEqual({
      sha: tagSha,
      resolvedFrom: 'refs/tags/v1',
      verified: true,
    });
    expect(await resolveRef(repo, mainSha)).toMatchObject({ sha: mainSha, verified: true });
    expect(await resolveRef(repo, tagSha)).toEqual({
      sha: tagSha,
      verified: true,
      resolvedFrom: 'refs/tags/v1',
    });
    // No ref points at it: only a fetch can tell, so it is passed on unverified rather than refused.
    expect(await resolveRef(repo, danglingSha)).toEqual({
      sha: danglingSha,
      verified: false,
      resolvedFrom: 'commit sha',
    });
  });

  it('names the branches when the ref does not exist', async () => {
    const err = await resolveRef(repo, 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitRemoteError);
    expect(err).toMatchObject({
      kind: 'ref_not_found',
      message: expect.stringContaining('ref "nope" not found'),
    });
    expect((err as Error).message).toContain('branches: main');
  });

  it('says the repository cannot be reached, and never runs a transport command', async () => {
    const missing = await resolveRef(join(dir, 'missing'), 'main').catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'unreachable', message: expect.stringContaining('cannot reach') });
    const marker = join(dir, 'pwned');
    // ext:: would run a command; GIT_ALLOW_PROTOCOL forbids the transport.
    const hostile = await resolveRef(`ext::sh -c touch% ${marker}`, 'main').catch((e: unknown) => e);
    expect(hostile).toMatchObject({ kind: 'unreachable' });
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
  });
});

describe('resolveRef with credentials', () => {
  const credentials = { username: 'deployer', password: 'S3cret-pat-4711' };
  let server: GitHttpServer;
  beforeAll(async () => {
    server = await startGitHttpServer({ root: dir, ...credentials });
  });
  afterAll(() => server.close());

  it('sends them to the host (as a header, the URL stays bare)', async () => {
    expect(await resolveRef(`${server.url}/app`, 'main', { credentials })).toMatchObject({
      sha: mainSha,
      verified: true,
    });
    const refused = await resolveRef(`${server.url}/app`, 'main').catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'unreachable', message: expect.stringContaining(server.url) });
  });

  it('never repeats them in its messages, wrong ones or ones still in a URL', async () => {
    const wrong = { username: 'deployer', password: 'Wr0ng-pat-0815' };
    const denied = await resolveRef(`${server.url}/app`, 'main', { credentials: wrong }).catch(
      (e: unknown) => e,
    );
    expect(denied).toMatchObject({ kind: 'unreachable' });
    expect((denied as Error).message).not.toContain(wrong.password);
    // git itself prints a user name it found in the URL ("could not read Password for 'http://tok@…'").
    const host = server.url.replace('http://', '');
    const legacy = await resolveRef(`http://Tok3n-in-url@${host}/app`, 'main').catch((e: unknown) => e);
    expect(legacy).toMatchObject({ kind: 'unreachable', message: expect.stringContaining(host) });
    expect((legacy as Error).message).not.toContain('Tok3n-in-url');
    const missing = await resolveRef(`${server.url}/nope`, 'main', { credentials }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'unreachable' });
    expect((missing as Error).message).not.toContain(credentials.password);
  });
});
