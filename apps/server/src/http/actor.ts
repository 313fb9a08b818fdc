import type { Request } from 'express';
import { signedIn } from './access';

/** Who is making a request: recorded as `startedBy`, on every decision and in the audit log. */
export type ActorResolver = (req: Request) => string;

/** The signed-in user's name; with nobody signed in it throws 401 rather than act as anyone. */
export const principalActor: ActorResolver = (req) => signedIn(req).user.username;
