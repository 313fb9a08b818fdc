import { z } from 'zod';

/** Roles, each including everything the ones before it may do. */
export const ROLES = [
  /** Reads runs, agents, jobs, logs. */
  'viewer',
  /** Chats, starts and cancels workflows, submits inputs. */
  'operator',
  /** Approves and rejects gates. */
  'approver',
  /** Manages users, agents, repositories and tokens; reads the audit log. */
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface UserDto {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
  disabled: boolean;
}

/** Answer of login, token-login and `GET /v1/auth/me`. Cookie-authenticated writes send `X-CSRF-Token: csrfToken`. */
export interface SessionDto {
  user: UserDto;
  csrfToken: string;
}

export const SESSION_COOKIE = 'deploybot_session';
export const CSRF_HEADER = 'x-csrf-token';

export const usernameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]{1,31}$/,
    'username must be 2-32 lower-case letters, digits, ".", "_" or "-", starting with a letter',
  );
export const passwordSchema = z.string().min(10, 'password must be at least 10 characters').max(200);

export const loginBodySchema = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(200),
});
export const tokenLoginBodySchema = z.strictObject({ token: z.string().min(10).max(200) });
export const createUserBodySchema = z.strictObject({
  username: usernameSchema,
  password: passwordSchema,
  role: z.enum(ROLES),
});
export const updateUserBodySchema = z.strictObject({
  role: z.enum(ROLES).optional(),
  password: passwordSchema.optional(),
  disabled: z.boolean().optional(),
  /** With a new password: also revoke the user's API tokens. Default true. */
  revoke_tokens: z.boolean().optional(),
});
export const createTokenBodySchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** Days until the token stops working; omitted, it works until revoked. */
  expires_in_days: z.int().min(1).max(3650).optional(),
});

export interface ApiTokenDto {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

/** Returned once, when the token is created; only its hash is stored. */
export interface CreatedApiTokenDto extends ApiTokenDto {
  token: string;
}

export interface AuditEntryDto {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
}

export const auditQuerySchema = z.object({
  action: z.string().max(64).optional(),
  actor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
