import { SESSION_COOKIE } from '@deploybot/shared';
import { parseCookie } from 'cookie';
import type { AuthService, Principal } from '../auth/auth.service';

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

/** Who is calling: a Bearer API token, or the session cookie. Unknown or absent credentials leave it unset. */
export async function principalOf(
  auth: AuthService,
  headers: { authorization?: string; cookie?: string },
): Promise<Principal | null> {
  const bearer = /^Bearer (\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return auth.fromApiToken(bearer);
  const cookie = headers.cookie ? parseCookie(headers.cookie)[SESSION_COOKIE] : undefined;
  return cookie ? auth.fromSessionCookie(cookie) : null;
}
