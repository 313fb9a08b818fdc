import { createHash, randomBytes } from 'node:crypto';

/** Join tokens and agent credentials: 256 random bits, a prefix that says what they are. */
export const JOIN_TOKEN_PREFIX = 'dbj_';
export const AGENT_CREDENTIAL_PREFIX = 'dba_';

export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * Tokens are high-entropy random strings, so a fast hash is enough to make a stolen table useless
 * (a memory-hard hash is for low-entropy passwords).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
