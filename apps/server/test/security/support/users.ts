import {
  type CreatedApiTokenDto,
  ROLES,
  type Role,
  SESSION_COOKIE,
  type SessionDto,
  type UserDto,
} from '@deploybot/shared';
import { type Client, call, client, cookiePair } from './http';
import { TEST_ADMIN_TOKEN } from './server';

export interface TestUser {
  user: UserDto;
  username: string;
  password: string;
  role: Role;
  /** Personal API token, created by the user over a cookie session. */
  token: string;
  tokenId: string;
  /** `deploybot_session=…` of the session the token was created in. */
  cookie: string;
  csrf: string;
  /** Bearer client with the personal token. */
  api: Client;
  /** Cookie client with the CSRF header. */
  web: Client;
}

export const passwordOf = (username: string) => `pw-${username}-0123456789`;

/** Logs in with a password: the session cookie and the CSRF token. */
export async function login(url: string, username: string, password: string) {
  const res = await call<SessionDto>(url, 'POST', '/v1/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} answered ${res.status}: ${res.text}`);
  return {
    cookie: cookiePair(res.headers.get('set-cookie'), SESSION_COOKIE),
    csrf: res.body.csrfToken,
    session: res.body,
    setCookie: res.headers.get('set-cookie') ?? '',
  };
}

/**
 * Creates `username` with `role` through POST /v1/users as the bootstrap admin, logs in with its password and
 * creates its personal API token with POST /v1/tokens over that cookie session.
 */
export async function createUser(url: string, username: string, role: Role): Promise<TestUser> {
  const password = passwordOf(username);
  const created = await call<UserDto>(url, 'POST', '/v1/users', {
    creds: { token: TEST_ADMIN_TOKEN },
    body: { username, password, role },
  });
  if (created.status !== 201)
    throw new Error(`POST /v1/users ${username}: ${created.status} ${created.text}`);
  const { cookie, csrf } = await login(url, username, password);
  const token = await call<CreatedApiTokenDto>(url, 'POST', '/v1/tokens', {
    creds: { cookie, csrf },
    body: { name: `${username}-cli` },
  });
  if (token.status !== 201) throw new Error(`POST /v1/tokens for ${username}: ${token.status} ${token.text}`);
  return {
    user: created.body,
    username,
    password,
    role,
    token: token.body.token,
    tokenId: token.body.id,
    cookie,
    csrf,
    api: client(url, { token: token.body.token }),
    web: client(url, { cookie, csrf }),
  };
}

/** One user per role (`<prefix>-viewer`, …), created in parallel. */
export async function createRoleUsers(url: string, prefix = 'sec'): Promise<Record<Role, TestUser>> {
  const users = await Promise.all(ROLES.map((role) => createUser(url, `${prefix}-${role}`, role)));
  return Object.fromEntries(users.map((u) => [u.role, u])) as Record<Role, TestUser>;
}
