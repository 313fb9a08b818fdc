import type { AuthSession } from '../lib/auth';
import type { SliceCreator } from './types';

export interface AuthSlice {
  /** `loading` until `/v1/auth/me` answers; `signed-out` sends the person to /login. */
  authStatus: 'loading' | 'signed-in' | 'signed-out';
  session: AuthSession | null;
}

export const createAuthSlice: SliceCreator<AuthSlice> = () => ({ authStatus: 'loading', session: null });
