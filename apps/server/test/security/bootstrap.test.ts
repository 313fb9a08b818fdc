import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/http-client';
import { startTestServer, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('bootstrap admin', () => {
  it('creates the admin only on an empty database', async () => {
    expect(await server.app.auth.bootstrap()).toBeNull();
    const users = await apiClient(server.url).get<{ users: { username: string }[] }>('/v1/users');
    expect(users.body.users.map((u) => u.username)).toEqual(['admin']);
  });

  it('gives a lost admin a way back in: a restart with DEPLOYBOT_ADMIN_TOKEN re-enables admin with that token', async () => {
    const admin = apiClient(server.url);
    const { body: me } = await admin.get<{ user: { id: string } }>('/v1/auth/me');
    // Another admin disables `admin` (here: the admin itself, through its own token, which then stops working).
    const disabled = await admin.request('PATCH', `/v1/users/${me.user.id}`, { disabled: true });
    expect(disabled.status, disabled.text).toBe(200);
    expect((await admin.get('/v1/auth/me')).status).toBe(401);

    const fresh = 'dbt_recovered-admin-token-0123456789';
    expect(await server.app.auth.bootstrap(fresh)).toBeNull();
    const recovered = await apiClient(server.url, fresh).get<{ user: { username: string; role: string } }>(
      '/v1/auth/me',
    );
    expect(recovered.status, recovered.text).toBe(200);
    expect(recovered.body.user).toMatchObject({ username: 'admin', role: 'admin' });
    const audit = await apiClient(server.url, fresh).get<{ entries: { action: string; detail: unknown }[] }>(
      '/v1/audit?action=token.create',
    );
    expect(audit.body.entries[0]).toMatchObject({
      action: 'token.create',
      detail: { name: 'DEPLOYBOT_ADMIN_TOKEN' },
    });
  });

  it('never hands out a revoked token again', async () => {
    const fresh = 'dbt_recovered-admin-token-0123456789';
    const client = apiClient(server.url, fresh);
    const tokens = await client.get<{ tokens: { id: string; name: string }[] }>('/v1/tokens');
    const envToken = tokens.body.tokens.find((t) => t.name === 'DEPLOYBOT_ADMIN_TOKEN')!;
    expect((await client.request('DELETE', `/v1/tokens/${envToken.id}`)).status).toBe(200);
    await server.app.auth.bootstrap(fresh);
    expect((await client.get('/v1/auth/me')).status).toBe(401);
  });
});
