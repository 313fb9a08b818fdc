import { type RunSummary, repositoryNameSchema, type TimelineEntry } from '@deploybot/shared';
import { z } from 'zod';
import type { AssistantRunRecords } from '../run-records';
import { defineTool, type ToolDef, ToolError } from './registry';

/** A run named by its id or the start of it, as people copy it from a card ("3f2a9c1d"). */
const runRef = z
  .string()
  .regex(/^[0-9a-f][0-9a-f-]{3,35}$/i, 'a run id, or at least its first 4 characters')
  .transform((s) => s.toLowerCase())
  .describe('run id (UUID) or its first characters, e.g. 3f2a9c1d');
const workflowName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/)
  .describe('workflow name, e.g. deploy_application');

/** How many timeline entries a tool result carries: the newest are kept, the count says how many there were. */
export const TIMELINE_ENTRIES_SHOWN = 40;

const DECISIONS = new Set<TimelineEntry['type']>(['step.approved', 'step.rejected', 'step.input_received']);

/** The run one reference means: a whole id, or the start of exactly one run's id. */
async function resolveRun(records: AssistantRunRecords, ref: string): Promise<RunSummary> {
  const found = (await records.find({ q: ref, limit: 5 })).filter((r) => r.id.startsWith(ref));
  if (found.length === 0) throw new ToolError(`no run has an id starting with "${ref}"`, 'not_found');
  if (found.length > 1) {
    throw new ToolError(
      `several runs start with "${ref}": ${found.map((r) => `${r.id} (${r.title})`).join(', ')}; give more of the id`,
    );
  }
  return found[0]!;
}

/** The newest run of a workflow (for one repository), optionally only with the given statuses. */
async function lastRun(
  records: AssistantRunRecords,
  workflow: string,
  repository: string | undefined,
  status?: RunSummary['status'][],
): Promise<RunSummary> {
  const [run] = await records.find({ workflow, repository, status, limit: 1 });
  if (!run) {
    const what = `${status ? `${status.join(' or ')} ` : ''}run of ${workflow}${repository ? ` for ${repository}` : ''}`;
    throw new ToolError(`there is no ${what} yet`, 'not_found');
  }
  return run;
}

/**
 * Questions about past runs answered from their timelines (every transition with who and when, every decision
 * with its note), and the rollback of a deploy proposed with its plan. Nothing here starts or decides anything:
 * the proposal's "Start rollback" button is a person's, and the rollback run's own gate asks again.
 */
export function historyTools(records: AssistantRunRecords): ToolDef[] {
  return [
    defineTool({
      name: 'explain_run',
      description:
        'What happened in one run, from its timeline: who started it, every transition with when, every decision (approved / rejected / input, by whom, note), each step\'s status and attempts, how it ended. Name the run by run_id (or its first characters), or ask for the newest run of a workflow (default deploy_application) for a repository: "what happened in run 3f2a…", "who approved the last deploy of myorg/app".',
      schema: z.object({
        run_id: runRef.optional(),
        workflow: workflowName.optional(),
        repository: repositoryNameSchema.optional(),
      }),
      run: async ({ run_id, workflow, repository }) => {
        const summary = run_id
          ? await resolveRun(records, run_id)
          : await lastRun(records, workflow ?? 'deploy_application', repository);
        const t = await records.timeline(summary.id);
        const entries = t.entries.slice(-TIMELINE_ENTRIES_SHOWN);
        return {
          run: {
            id: t.run.id,
            name: t.run.name,
            title: t.run.title,
            status: t.run.status,
            startedBy: t.run.startedBy,
            repository: summary.repository,
            agent: summary.agent,
            startedAt: t.start,
            endedAt: t.end,
            error: t.run.error,
            rollbackOf: t.run.rollbackOf ?? null,
          },
          decisions: t.entries
            .filter((e) => DECISIONS.has(e.type))
            .map((e) => ({
              step: e.stepId,
              stepTitle: e.stepTitle,
              decision:
                e.type === 'step.approved' ? 'approved' : e.type === 'step.rejected' ? 'rejected' : 'input',
              by: e.by,
              at: e.at,
              note: e.note,
            })),
          steps: t.steps.map((s) => ({ id: s.id, title: s.title, status: s.status, attempts: s.attempts })),
          entryCount: t.entries.length,
          entries: entries.map((e) => ({ at: e.at, text: e.text, by: e.by, note: e.note })),
        };
      },
    }),
    defineTool({
      name: 'propose_rollback',
      description:
        'Propose rolling back a run: by default the last completed or failed deploy of a repository ("roll back the last deploy of myorg/app"), or a run by run_id. Shows what the rollback would undo, most recent first, and a "Start rollback" button. This never starts anything: only the person\'s click does, and the rollback run then waits at its own approval gate.',
      schema: z.object({ repository: repositoryNameSchema.optional(), run_id: runRef.optional() }),
      run: async ({ repository, run_id }, ctx) => {
        if (!repository && !run_id)
          throw new ToolError('name the repository (org/app) or the run to roll back');
        const target = run_id
          ? await resolveRun(records, run_id)
          : await lastRun(records, 'deploy_application', repository, ['completed', 'failed']);
        const plan = await records.rollbackPlan(target.id);
        if (!plan.possible)
          throw new ToolError(`run ${target.id} cannot be rolled back: ${plan.reason}`, 'conflict');
        ctx.effects.quickActions.push(
          { kind: 'start_rollback', label: 'Start rollback', runId: target.id },
          { kind: 'open_run', label: 'Open run', runId: target.id },
        );
        ctx.rollbackProposed?.(target.id);
        return {
          proposed: true,
          run: {
            id: target.id,
            title: target.title,
            status: target.status,
            repository: target.repository,
            agent: target.agent,
            startedBy: target.startedBy,
            createdAt: target.createdAt,
          },
          undo: plan.items,
          note: 'A "Start rollback" button is shown to the person; nothing was started. The rollback run waits for approval at its gate.',
        };
      },
    }),
  ];
}
