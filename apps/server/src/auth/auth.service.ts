import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiTokenDto, CreatedApiTokenDto, Role, SessionDto, UserDto } from '@deploybot/shared';
import type { Clock } from '../engine/ports';
import { DeployBotError } from '../errors/deploybot-error';
import { hashToken } from '../fleet/tokens';
import type { AuditLog } from './audit-log';
import { hashPassword, verifyPassword } from './passwords';
import { toTokenDto, toUserDto, type UserRow, type UsersStore } from './users.store';

export const API_TOKEN_PREFIX = 'dbt_';
const SESSION_TTL_MS = 12 * 3_600_000;
/** Compared against when the username is unknown, so a login takes as long either way. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AuthError extends DeployBotError {
  constructor(code: 'unauthorized' | 'forbidden' | 'not_found' | 'conflict', message: string) {
    super(code, message);
  }
}

/** The authenticated caller of a request or socket. */
export interface Principal {
  user: UserDto;
  /** How the caller proved who they are: cookie writes must also carry the CSRF token. */
  via: 'session' | 'token';
  csrfToken: string | null;
  sessionHash: string | null;
}

const random = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Users, web sessions and personal API tokens. */
export class AuthService {
  /** Called when a user loses access (disabled, deleted, token revoked) so open sockets are cut at once. */
  onAccessRevoked: (userId: string) => void = () => {};
  /** Called when a web session ends (logout), so the sockets it opened are cut too. */
  onSessionEnded: (sessionHash: string) => void = () => {};

  constructor(
    private readonly store: UsersStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /**
   * On an empty database, creates the `admin` user with an API token: `adminToken` when given
   * (DEPLOYBOT_ADMIN_TOKEN), otherwise a new one, returned so it can be printed once.
   */
  async bootstrap(adminToken?: string): Promise<{ token: string; generated: boolean } | null> {
    if ((await this.store.count()) > 0) {
      if (adminToken) await this.ensureAdminToken(adminToken);
      return null;
    }
    const user = await this.store.insert({
      id: randomUUID(),
      username: 'admin',
      passwordHash: null,
      role: 'admin',
      at: this.now(),
    });
    if (!user) return null; // another controller bootstrapped at the same moment
    const token = adminToken ?? API_TOKEN_PREFIX + random();
    await this.store.insertToken({
      id: randomUUID(),
      userId: user.id,
      name: 'bootstrap',
      hash: hashToken(token),
      at: this.now(),
    });
    await this.audit.record('system', 'user.create', 'admin', { role: 'admin', bootstrap: true });
    return { token, generated: adminToken === undefined };
  }

  /**
   * The way back in when the printed link is lost: started again with DEPLOYBOT_ADMIN_TOKEN, the controller
   * gives that token to the `admin` user (re-enabling it), unless the token is known already (held by someone,
   * or revoked: a revoked token stays revoked).
   */
  private async ensureAdminToken(token: string): Promise<void> {
    if (await this.store.tokenExists(hashToken(token))) return;
    const admin = await this.store.anyByUsername('admin');
    if (!admin) return;
    if (admin.disabled_at || admin.deleted_at || admin.role !== 'admin')
      await this.store.update(admin.id, { role: 'admin', disabledAt: null, deletedAt: null });
    await this.store.insertToken({
      id: randomUUID(),
      userId: admin.id,
      name: 'DEPLOYBOT_ADMIN_TOKEN',
      hash: hashToken(token),
      at: this.now(),
    });
    await this.audit.record('system', 'token.create', 'admin', { name: 'DEPLOYBOT_ADMIN_TOKEN' });
  }

  async login(username: string, password: string): Promise<{ session: SessionDto; cookie: string }> {
    const user = await this.store.byUsername(username);
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user?.password_hash || !ok || user.disabled_at) {
      await this.audit.record(username.slice(0, 64), 'auth.login_failed', null, null);
      throw new AuthError('unauthorized', 'wrong username or password');
    }
    return this.openSession(user, 'password');
  }

  /** Exchanges an API token for a web session (the bootstrap login link uses this). */
  async tokenLogin(token: string): Promise<{ session: SessionDto; cookie: string }> {
    const user = await this.store.tokenUser(hashToken(token), this.now());
    if (!user) {
      await this.audit.record('unknown', 'auth.login_failed', null, { method: 'token' });
      throw new AuthError('unauthorized', 'unknown or revoked token');
    }
    return this.openSession(user, 'token');
  }

  private async openSession(user: UserRow, method: string): Promise<{ session: SessionDto; cookie: string }> {
    const cookie = random();
    const csrfToken = random(24);
    const now = this.clock.now();
    await this.store.insertSession({
      hash: hashToken(cookie),
      userId: user.id,
      csrfToken,
      at: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    });
    await this.audit.record(user.username, 'auth.login', user.username, { method });
    return { session: { user: toUserDto(user), csrfToken }, cookie };
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.sessionHash) {
      await this.store.deleteSession(principal.sessionHash);
      this.onSessionEnded(principal.sessionHash);
    }
    await this.audit.record(principal.user.username, 'auth.logout', null);
  }

  async fromSessionCookie(cookie: string): Promise<Principal | null> {
    const hash = hashToken(cookie);
    const found = await this.store.sessionUser(hash, this.now());
    return found
      ? { user: toUserDto(found.user), via: 'session', csrfToken: found.csrfToken, sessionHash: hash }
      : null;
  }

  async fromApiToken(token: string): Promise<Principal | null> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return null;
    const user = await this.store.tokenUser(hashToken(token), this.now());
    return user ? { user: toUserDto(user), via: 'token', csrfToken: null, sessionHash: null } : null;
  }

  // ---------------------------------------------------------------- users (admin)

  async listUsers(): Promise<UserDto[]> {
    return (await this.store.list()).map(toUserDto);
  }

  async createUser(by: string, input: { username: string; password: string; role: Role }): Promise<UserDto> {
    const user = await this.store.insert({
      id: randomUUID(),
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      at: this.now(),
    });
    if (!user) {
      const retired = await this.store.isRetired(input.username);
      throw new AuthError(
        'conflict',
        retired
          ? `the name ${input.username} belonged to a deleted user; names are never reused, so that runs, decisions and audit entries keep naming one person`
          : `user ${input.username} already exists`,
      );
    }
    await this.audit.record(by, 'user.create', user.username, { role: user.role });
    return toUserDto(user);
  }

  /**
   * Changes a user's role, password or disabled state. A new password also revokes the user's API tokens
   * (a leaked password may have minted them) unless `revokeTokens` is false.
   */
  async updateUser(
    by: string,
    ref: string,
    patch: { role?: Role; password?: string; disabled?: boolean; revokeTokens?: boolean },
  ): Promise<UserDto> {
    const before = await this.userRow(ref);
    const id = before.id;
    const updated = await this.store.update(id, {
      role: patch.role,
      passwordHash: patch.password === undefined ? undefined : await hashPassword(patch.password),
      disabledAt: patch.disabled === undefined ? undefined : patch.disabled ? this.now() : null,
    });
    if (!updated) throw new AuthError('not_found', `no user ${ref}`);
    const passwordChanged = patch.password !== undefined;
    const tokensRevoked =
      passwordChanged && patch.revokeTokens !== false ? await this.store.revokeTokensOf(id, this.now()) : 0;
    if (patch.disabled || passwordChanged || (patch.role && patch.role !== before.role)) {
      // Access changed: sessions opened under the old terms end, open sockets are cut.
      await this.store.deleteSessionsOf(id);
      this.onAccessRevoked(id);
    }
    await this.audit.record(by, 'user.update', updated.username, {
      ...(patch.role && { role: patch.role }),
      ...(patch.disabled !== undefined && { disabled: patch.disabled }),
      ...(passwordChanged && { passwordChanged: true, tokensRevoked }),
    });
    return toUserDto(updated);
  }

  /** Deletes a user: signed out everywhere, tokens revoked, the name retired (see UsersStore.delete). */
  async deleteUser(by: string, ref: string): Promise<void> {
    const user = await this.userRow(ref);
    if (!(await this.store.delete(user.id, this.now()))) throw new AuthError('not_found', `no user ${ref}`);
    this.onAccessRevoked(user.id);
    await this.audit.record(by, 'user.delete', user.username);
  }

  /** A live user addressed by id or by name (`PATCH /v1/users/alice` works as well as by id). */
  private async userRow(ref: string): Promise<UserRow> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
    const user = isUuid ? await this.store.byId(ref) : await this.store.byUsername(ref);
    if (!user) throw new AuthError('not_found', `no user ${ref}`);
    return user;
  }

  // ---------------------------------------------------------------- personal API tokens

  async listTokens(user: UserDto): Promise<ApiTokenDto[]> {
    return (await this.store.tokensOf(user.id)).map(toTokenDto);
  }

  async createToken(user: UserDto, name: string, expiresInDays?: number): Promise<CreatedApiTokenDto> {
    const token = API_TOKEN_PREFIX + random();
    const now = this.clock.now();
    const expiresAt =
      expiresInDays === undefined ? null : new Date(now.getTime() + expiresInDays * 86_400_000).toISOString();
    const row = await this.store.insertToken({
      id: randomUUID(),
      userId: user.id,
      name,
      hash: hashToken(token),
      at: now.toISOString(),
      expiresAt,
    });
    await this.audit.record(user.username, 'token.create', row.id, { name, expiresAt });
    return { ...toTokenDto(row), token };
  }

  /** Another user's tokens, for an admin (`GET /v1/users/{id}/tokens`). */
  async listTokensOf(ref: string): Promise<ApiTokenDto[]> {
    const user = await this.userRow(ref);
    return (await this.store.tokensOf(user.id)).map(toTokenDto);
  }

  /** An admin revokes one of another user's tokens; audited under the admin's name. */
  async revokeTokenOf(by: string, ref: string, tokenId: string): Promise<ApiTokenDto> {
    const user = await this.userRow(ref);
    const row = await this.store.revokeToken(tokenId, user.id, this.now());
    if (!row) throw new AuthError('not_found', `no active token ${tokenId} for ${user.username}`);
    this.onAccessRevoked(user.id);
    await this.audit.record(by, 'token.revoke', row.id, { name: row.name, owner: user.username });
    return toTokenDto(row);
  }

  async revokeToken(user: UserDto, tokenId: string): Promise<ApiTokenDto> {
    const row = await this.store.revokeToken(tokenId, user.id, this.now());
    if (!row) throw new AuthError('not_found', `no active token ${tokenId}`);
    this.onAccessRevoked(user.id);
    await this.audit.record(user.username, 'token.revoke', row.id, { name: row.name });
    return toTokenDto(row);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
