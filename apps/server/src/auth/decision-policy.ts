import { type Role, roleAtLeast, type UserDto, type WorkflowRun } from '@deploybot/shared';
import { AuthError } from './auth.service';

export interface DecisionPolicyOptions {
  /** DEPLOYBOT_FOUR_EYES: nobody approves a gate of a run they started. */
  fourEyes: boolean;
  /** Role needed to decide the gates of a workflow (DEPLOYBOT_APPROVER_ROLES); `approver` when unlisted. */
  approverRoles: Record<string, Role>;
}

/** Who may approve or reject a gate: the same rule for a click in the UI, the REST API and a chat message. */
export class DecisionPolicy {
  constructor(private readonly opts: DecisionPolicyOptions) {}

  check(user: UserDto, run: WorkflowRun, approved: boolean): void {
    const needed = this.opts.approverRoles[run.name] ?? 'approver';
    if (!roleAtLeast(user.role, needed)) {
      throw new AuthError(
        'forbidden',
        `deciding ${run.name} gates needs the ${needed} role; you are ${user.role}`,
      );
    }
    if (approved && this.opts.fourEyes && run.startedBy === user.username) {
      throw new AuthError(
        'forbidden',
        'four-eyes rule: you started this run, so another person must approve it',
      );
    }
    // A trigger starts runs in its own name; the person who set the trigger up set the run going.
    if (approved && this.opts.fourEyes && run.trigger?.configuredBy === user.username) {
      throw new AuthError(
        'forbidden',
        `four-eyes rule: you set up trigger ${run.trigger.name}, which started this run, so another person must approve it`,
      );
    }
  }
}

/** `deploy_application=admin,health_check=operator` → a map; throws on anything else. */
export function parseApproverRoles(text: string | undefined): Record<string, Role> {
  const map: Record<string, Role> = {};
  for (const pair of (text ?? '').split(',').filter((p) => p.trim())) {
    const m = /^\s*([a-z][a-z0-9_]*)\s*=\s*(viewer|operator|approver|admin)\s*$/.exec(pair);
    if (!m) throw new Error(`DEPLOYBOT_APPROVER_ROLES: "${pair}" is not workflow=role`);
    map[m[1]!] = m[2] as Role;
  }
  return map;
}
