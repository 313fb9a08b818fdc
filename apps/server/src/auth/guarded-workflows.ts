import type { UserDto, WorkflowDefinitionDto, WorkflowRun } from '@deploybot/shared';
import type { AssistantWorkflows } from '../assistant/workflows-port';
import type { DecideCommand, InputCommand, WorkflowEngine } from '../engine/engine';
import type { RunFilter } from '../engine/ports';
import type { AuditLog } from './audit-log';
import { AuthError } from './auth.service';
import type { DecisionPolicy } from './decision-policy';
import { toUserDto, type UsersStore } from './users.store';

/**
 * The engine's commands as people use them, from REST or from the chat alike: decisions go through the
 * decision policy (role, per-workflow role, four-eyes), and every command lands in the audit log.
 */
export class GuardedWorkflows implements AssistantWorkflows {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly policy: DecisionPolicy,
    private readonly audit: AuditLog,
    private readonly users: UsersStore,
  ) {}

  definitions(): WorkflowDefinitionDto[] {
    return this.engine.definitions();
  }

  get(runId: string): Promise<WorkflowRun> {
    return this.engine.get(runId);
  }

  list(filter: RunFilter): Promise<WorkflowRun[]> {
    return this.engine.list(filter);
  }

  async start(
    name: string,
    context: Record<string, unknown>,
    by: string,
    opts: { version?: number } = {},
  ): Promise<WorkflowRun> {
    const run = await this.engine.start(name, context, by, opts);
    await this.audit.record(by, 'workflow.start', run.id, { workflow: run.name, version: run.version });
    return run;
  }

  /** Starts the rollback of a completed or failed run (its gate shows the plan before anything is undone). */
  async rollback(runId: string, by: string): Promise<WorkflowRun> {
    const run = await this.engine.rollback(runId, by);
    await this.audit.record(by, 'workflow.rollback', run.id, { rollbackOf: runId });
    return run;
  }

  async submitInput(runId: string, cmd: InputCommand): Promise<WorkflowRun> {
    const run = await this.engine.submitInput(runId, cmd);
    await this.audit.record(cmd.by, 'workflow.input', runId, {
      workflow: run.name,
      step: cmd.stepId ?? null,
    });
    return run;
  }

  async cancel(runId: string, cmd: { by: string; reason?: string | null }): Promise<WorkflowRun> {
    const run = await this.engine.cancel(runId, cmd);
    await this.audit.record(cmd.by, 'workflow.cancel', runId, {
      workflow: run.name,
      reason: cmd.reason ?? null,
    });
    return run;
  }

  /** `user` when the caller already holds it (REST); otherwise it is looked up by `cmd.by` (the chat). */
  async decide(runId: string, cmd: DecideCommand, user?: UserDto): Promise<WorkflowRun> {
    const who = user ?? (await this.userNamed(cmd.by));
    let decided: string | null = null;
    const run = await this.engine.decide(runId, {
      ...cmd,
      // On the run the engine reads under its lock: one read, and no decision between the check and the write.
      check: (current, step) => {
        this.policy.check(who, current, cmd.approved);
        decided = step.id;
      },
    });
    await this.audit.record(cmd.by, cmd.approved ? 'workflow.approve' : 'workflow.reject', runId, {
      workflow: run.name,
      step: decided,
      note: cmd.note ?? null,
    });
    return run;
  }

  private async userNamed(username: string): Promise<UserDto> {
    const row = await this.users.byUsername(username);
    if (!row || row.disabled_at) throw new AuthError('forbidden', `${username} may not decide`);
    return toUserDto(row);
  }
}
