import type { Request } from 'express';

/** Who is making a request: recorded as `startedBy`, on every decision and in the audit log. */
export type ActorResolver = (req: Request) => string;

/** The authenticated user's name; requests reach routes that record an actor only after authentication. */
export const principalActor: ActorResolver = (req) => req.principal?.user.username ?? 'anonymous';
