import type { ApiTokenDto, AuditEntryDto, ChatSessionDto, UserDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, call, client, expectError } from './support/http';
import { hasStatus, startRun, WORKFLOWS, waitForRun } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { createUser, login, passwordOf, type TestUser } from './support/users';

/**
 * Who a user is, and how the controller is reached: users addressed by name, identities that are never
 * handed to somebody else, tokens that end with a password change or on an admin's order, deeply nested
 * bodies, and the HTTP headers that must not break plain HTTP.
 */

let s: SecurityServer;
let admin: Client;
let u: Record<string, TestUser>;

beforeAll(async () => {
  s = await startSecurityServer();
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  const made = await Promise.all(
    (
      [
        ['id-byname', 'viewer'],
        ['id-renamed', 'operator'],
        ['id-reused', 'operator'],
        ['id-password', 'operator'],
        ['id-keeper', 'operator'],
        ['id-leaky', 'viewer'],
        ['id-expiring', 'viewer'],
      ] as const
    ).map(([name, role]) => createUser(s.url, name, role)),
  );
  u = Object.fromEntries(made.map((m) => [m.username, m]));
});

afterAll(async () => {
  await s?.close();
});

const me = (token: string) => call(s.url, 'GET', '/v1/auth/me', { creds: { token } });

describe('users addressed by name', () => {
  it('PATCH and DELETE /v1/users/{username} work like the id (they answered 500)', async () => {
    const user = u['id-byname']!;
    const patched = await admin.patch<UserDto>(`/v1/users/${user.username}`, { role: 'operator' });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: user.user.id, username: user.username, role: 'operator' });
    const tokens = await admin.get<{ tokens: ApiTokenDto[] }>(`/v1/users/${user.username}/tokens`);
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.body.tokens.map((t) => t.id)).toContain(user.tokenId);

    expect((await admin.del(`/v1/users/${user.username}`)).status).toBe(204);
    expectError(await admin.patch(`/v1/users/${user.username}`, { role: 'viewer' }), 404, 'not_found');
    expectError(await admin.del(`/v1/users/${user.user.id}`), 404, 'not_found');
    expectError(await admin.patch('/v1/users/nobody-here', { role: 'viewer' }), 404, 'not_found');
  });
});

describe('an identity is never given to somebody else', () => {
  it("a deleted user's name cannot be taken: no one inherits their sessions, runs or reveal rights", async () => {
    const old = u['id-reused']!;
    const session = await old.api.post<ChatSessionDto>('/v1/ai/sessions', { title: 'mine alone' });
    expect(session.status, session.text).toBe(201);
    const run = await startRun(old.api, 'auto_chain', { who: 'x' });
    await waitForRun(old.api, run.id, hasStatus('completed'), 'completion');

    expect((await admin.del(`/v1/users/${old.user.id}`)).status).toBe(204);
    expectError(await me(old.token), 401, 'unauthorized');

    const again = await admin.post('/v1/users', {
      username: old.username,
      password: passwordOf(old.username),
      role: 'admin',
    });
    expect(expectError(again, 409, 'conflict').message).toMatch(/deleted user.*never reused/);
    const users = await admin.get<{ users: UserDto[] }>('/v1/users');
    expect(users.body.users.map((x) => x.username)).not.toContain(old.username);
    const relogin = await call(s.url, 'POST', '/v1/auth/login', {
      body: { username: old.username, password: old.password },
    });
    expectError(relogin, 401, 'unauthorized');
    // The run still names the person who started it, and nobody can act as them.
    const kept = await admin.get<WorkflowRun>(`${WORKFLOWS}/${run.id}`);
    expect(kept.body.startedBy).toBe(old.username);
  });
});

describe('API tokens', () => {
  it('a password change revokes the tokens (they may have been minted with the old password)', async () => {
    const user = u['id-password']!;
    expect((await me(user.token)).status).toBe(200);
    const res = await admin.patch(`/v1/users/${user.user.id}`, { password: 'a-brand-new-password' });
    expect(res.status, res.text).toBe(200);
    expectError(await me(user.token), 401, 'unauthorized');
    const tokens = await admin.get<{ tokens: ApiTokenDto[] }>(`/v1/users/${user.user.id}/tokens`);
    expect(tokens.body.tokens.find((t) => t.id === user.tokenId)?.revokedAt).toEqual(expect.any(String));
    const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?limit=1000');
    const entry = audit.body.entries.find((e) => e.action === 'user.update' && e.target === user.username);
    expect(entry?.detail).toMatchObject({ passwordChanged: true, tokensRevoked: 1 });
    // The new password works; the old one does not.
    await login(s.url, user.username, 'a-brand-new-password');
    const old = await call(s.url, 'POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password },
    });
    expectError(old, 401, 'unauthorized');
  });

  it('revoke_tokens: false keeps them', async () => {
    const user = u['id-keeper']!;
    const res = await admin.patch(`/v1/users/${user.user.id}`, {
      password: 'another-new-password',
      revoke_tokens: false,
    });
    expect(res.status, res.text).toBe(200);
    expect((await me(user.token)).status).toBe(200);
  });

  it("an admin lists and revokes another user's token; the owner's other tokens keep working", async () => {
    const user = u['id-leaky']!;
    const second = await user.web.post<{ token: string; id: string }>('/v1/tokens', { name: 'second' });
    expect(second.status, second.text).toBe(201);
    const listed = await admin.get<{ tokens: ApiTokenDto[] }>(`/v1/users/${user.user.id}/tokens`);
    expect(listed.body.tokens.map((t) => t.name).sort()).toEqual([`${user.username}-cli`, 'second']);
    expect(JSON.stringify(listed.body)).not.toContain(user.token);

    const revoked = await admin.del<ApiTokenDto>(`/v1/users/${user.user.id}/tokens/${user.tokenId}`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expectError(await me(user.token), 401, 'unauthorized');
    expect((await me(second.body.token)).status).toBe(200);
    // Revoking it again, or a token of somebody else through this user, is 404.
    expectError(await admin.del(`/v1/users/${user.user.id}/tokens/${user.tokenId}`), 404, 'not_found');
    const other = u['id-expiring']!;
    expectError(await admin.del(`/v1/users/${user.user.id}/tokens/${other.tokenId}`), 404, 'not_found');
    expect((await me(other.token)).status).toBe(200);

    const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?limit=1000');
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        actor: 'admin',
        action: 'token.revoke',
        target: user.tokenId,
        detail: expect.objectContaining({ owner: user.username }),
      }),
    );
  });

  it('a token may carry an expiry; past it the token is refused', async () => {
    const user = u['id-expiring']!;
    const made = await user.web.post<{ token: string; id: string; expiresAt: string }>('/v1/tokens', {
      name: 'short-lived',
      expires_in_days: 1,
    });
    expect(made.status, made.text).toBe(201);
    const expiresAt = Date.parse(made.body.expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect((await me(made.body.token)).status).toBe(200);
    // Move the expiry into the past in the database: the clock is the only thing that differs.
    await s.db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      made.body.id,
    ]);
    expectError(await me(made.body.token), 401, 'unauthorized');
    for (const bad of [0, -1, 1.5, 4000, '7']) {
      const res = await user.web.post('/v1/tokens', { name: 'bad', expires_in_days: bad });
      expectError(res, 400, 'validation_failed', `expires_in_days=${bad}`);
    }
  });
});

describe('deeply nested input', () => {
  it('a body nested 20,000 deep is a 400 naming the depth, on a public and a protected endpoint alike', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const deepObject = `${'{"a":'.repeat(15_000)}1${'}'.repeat(15_000)}`; // 75 KB: under the body limit
    for (const [path, raw] of [
      ['/v1/auth/login', deep],
      ['/v1/auth/login', deepObject],
      [`${WORKFLOWS}/start?workflow_name=auto_chain`, deepObject],
    ] as const) {
      const res = await call(s.url, 'POST', path, { raw, creds: { token: TEST_ADMIN_TOKEN } });
      expect(expectError(res, 400, 'validation_failed', path).message).toMatch(/nested more than \d+ levels/);
    }
    // The controller is fine afterwards.
    expect((await call(s.url, 'GET', '/health')).status).toBe(200);
  });
});

describe('transport headers', () => {
  it('by default: no HSTS and no upgrade-insecure-requests, so plain HTTP on any host name works', async () => {
    const res = await call(s.url, 'GET', '/health', { headers: { host: 'deploybot.internal:8080' } });
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  describe('behind a TLS proxy (DEPLOYBOT_HTTPS, DEPLOYBOT_TRUST_PROXY)', () => {
    let tls: SecurityServer;
    beforeAll(async () => {
      tls = await startSecurityServer({
        security: { https: true, trustProxy: ['loopback'], loginLimitPerMinute: 3 },
      });
    });
    afterAll(async () => {
      await tls?.close();
    });

    it('sends HSTS and upgrade-insecure-requests, and the session cookie is Secure', async () => {
      const res = await call(tls.url, 'POST', '/v1/auth/token-login', { body: { token: TEST_ADMIN_TOKEN } });
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
      expect(res.headers.get('content-security-policy')).toMatch(/upgrade-insecure-requests/);
      expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    });

    it('the login rate limit counts each client address the trusted proxy forwards, not the proxy', async () => {
      const attempt = (ip: string) =>
        call(tls.url, 'POST', '/v1/auth/login', {
          body: { username: 'nobody', password: 'wrong-password' },
          headers: { 'x-forwarded-for': ip },
        });
      const limit = tls.security.loginLimitPerMinute;
      // Enough to exhaust one address's budget, whatever the configured limit is.
      let last = 0;
      for (let i = 0; i <= limit; i++) last = (await attempt('203.0.113.7')).status;
      expect(last).toBe(429);
      expectError(await attempt('198.51.100.9'), 401, 'unauthorized');
    });
  });
});
