import type { Request } from 'express';

/** Who is making a request: recorded as `startedBy` and on every decision. */
export type ActorResolver = (req: Request) => string;

/**
 * Until users and roles exist (the security issue), nobody is authenticated: every request is recorded as
 * `anonymous` rather than trusting a name the client could make up.
 */
export const anonymousActor: ActorResolver = () => 'anonymous';
