import { gitRefSchema, repositoryNameSchema } from '@deploybot/shared';
import { z } from 'zod';
import { FleetError } from '../../fleet/agents.service';
import type { Fleet } from '../../fleet/fleet';
import { GitRemoteError } from '../../fleet/git-remote';
import { shortSha } from '../workflow-deps';
import { defineKind } from './fleet-kind';

/** How long a start waits for `git ls-remote`; a slower remote is left to the step itself (still before any gate). */
export const START_RESOLVE_MS = 5_000;

const params = z.object({
  repository: repositoryNameSchema,
  ref: gitRefSchema,
});

/** `fleet.resolve_ref`: a registered repository's ref → the commit it names, with `git ls-remote`. */
export function resolveRefKind(fleet: Fleet) {
  return defineKind({
    name: 'fleet.resolve_ref',
    version: 1,
    title: 'Resolve a ref',
    description:
      'Resolve a branch, tag or sha of a registered repository to a commit with git ls-remote, before anyone is asked to approve anything.',
    params,
    outputs: z.object({ sha: z.string().describe('The full commit sha the ref names.') }),
    defaultTimeoutMs: 60_000,
    /**
     * The repository is registered and the ref exists on its remote. Only a definite answer refuses the start;
     * a remote that is slow or unreachable is reported by the step, which runs before the first gate.
     */
    startCheck: async ({ repository, ref }, signal) => {
      try {
        await fleet.repositories.resolve(
          repository,
          ref,
          AbortSignal.any([signal, AbortSignal.timeout(START_RESOLVE_MS)]),
        );
        return [];
      } catch (err) {
        if (err instanceof FleetError && err.code === 'not_found')
          return [{ param: 'repository', message: err.message }];
        if (err instanceof GitRemoteError && err.kind === 'ref_not_found')
          return [{ param: 'ref', message: err.message }];
        if (err instanceof GitRemoteError) return [];
        throw err;
      }
    },
    run: async (ctx, { repository, ref }) => {
      const r = await fleet.repositories.resolve(repository, ref, ctx.signal);
      const note = r.verified
        ? ''
        : ' (a commit sha no branch or tag points at: the agent verifies it when fetching)';
      return {
        summary: `${r.repository.name}@${r.ref} → ${shortSha(r.sha)} (${r.resolvedFrom})${note}.`,
        data: {
          repository: r.repository.name,
          url: r.repository.url,
          ref: r.ref,
          sha: r.sha,
          resolvedFrom: r.resolvedFrom,
        },
        outputs: { sha: r.sha },
      };
    },
  });
}
