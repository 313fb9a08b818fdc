import {
  RUN_STATUSES,
  repositoryNameSchema,
  TERMINAL_RUN_STATUSES,
  type WorkflowDefinitionDto,
  type WorkflowRun,
} from '@deploybot/shared';
import { z } from 'zod';
import type { AssistantWorkflows } from '../workflows-port';
import { compactRun } from './compact';
import { defineTool, type ToolContext, type ToolDef, ToolError } from './registry';

const runId = z.uuid().describe('workflow run id (UUID)');
const workflowName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/)
  .describe('workflow definition name, e.g. deploy_application');

export function workflowCard(d: WorkflowDefinitionDto) {
  return {
    name: d.name,
    title: d.title,
    description: d.description,
    steps: d.steps.length,
    builtIn: d.builtIn ?? false,
  };
}

/** The run this conversation means when none is named: the newest one started here. */
async function runOrLatest(ctx: ToolContext, id: string | undefined): Promise<string> {
  if (id) return id;
  const [latest] = await ctx.conversationRunIds();
  if (!latest) throw new ToolError('no workflow was started from this conversation; give a run_id');
  return latest;
}

/** How many of the newest deploy runs `deploy_runs` searches for one repository. */
export const DEPLOY_RUNS_SCANNED = 500;

/**
 * A deploy run as the record of who did what: `repository@ref → agent`, who started it, and every decision at
 * its gates (approved or rejected, by whom, when, with the note), so "who approved the last deploy of …" is
 * answered from the runs themselves.
 */
export function deployRecord(run: WorkflowRun) {
  const ctx = run.context as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const finished = TERMINAL_RUN_STATUSES.includes(run.status);
  return {
    id: run.id,
    title: run.title,
    status: run.status,
    repository: str(ctx.repository),
    ref: str(ctx.ref),
    sha: str(ctx.sha),
    environment: str(ctx.environment),
    agent: str(ctx.agent_hostname),
    startedBy: run.startedBy,
    createdAt: run.createdAt,
    finishedAt: finished ? run.updatedAt : null,
    error: run.error,
    decisions: run.steps.flatMap((step) =>
      step.decisions
        .filter((d) => d.decision !== 'input')
        .map((d) => ({
          step: step.id,
          stepTitle: step.title,
          decision: d.decision,
          by: d.by,
          at: d.at,
          note: d.note,
        })),
    ),
  };
}

/**
 * Workflow tools. There is deliberately no tool that approves or rejects: `propose_approval` only offers a
 * person the Approve / Reject buttons for a step that is really waiting.
 */
export function workflowTools(workflows: AssistantWorkflows): ToolDef[] {
  return [
    defineTool({
      name: 'list_workflow_definitions',
      description:
        'The workflows that can be started (built-in ones and those operators saved), latest version, with their inputs (required context) and steps; the chat shows them as cards. Start one with start_workflow by its name.',
      schema: z.object({}),
      run: async (_args, ctx) => {
        const defs = workflows.definitions();
        ctx.effects.workflowCards.push(...defs.map(workflowCard));
        // One-click starts for the workflows that need no input.
        for (const d of defs.filter((d) => d.inputs.every((i) => !i.required))) {
          ctx.effects.quickActions.push({
            kind: 'start_workflow',
            label: d.title,
            workflow: d.name,
            context: {},
          });
        }
        return {
          workflows: defs.map((d) => ({
            name: d.name,
            title: d.title,
            description: d.description,
            version: d.version,
            builtIn: d.builtIn ?? false,
            inputs: d.inputs.map((i) => ({
              key: i.key,
              label: i.label,
              type: i.type,
              required: i.required,
              ...(i.choices && { choices: i.choices }),
            })),
            steps: d.steps.map((s) => ({ id: s.id, title: s.title, kind: s.kind })),
          })),
        };
      },
    }),
    defineTool({
      name: 'start_workflow',
      description:
        'Start a workflow with its context (input values), e.g. deploy_application with {repository:"org/app", ref:"main", environment:"production"}. Its steps are then narrated in this conversation; gates wait for a person.',
      schema: z.object({
        workflow: workflowName,
        context: z.record(z.string(), z.unknown()).default({}),
      }),
      run: async ({ workflow, context }, ctx) => {
        const run = await workflows.start(workflow, context, ctx.actor);
        await ctx.linkRun(run.id);
        ctx.effects.runId = run.id;
        ctx.effects.quickActions.push({ kind: 'open_run', label: 'Open run', runId: run.id });
        return compactRun(run);
      },
    }),
    defineTool({
      name: 'workflow_status',
      description:
        'The status of a workflow run: steps with their status and summary, the step waiting for a person. Without run_id: the newest run of this conversation.',
      schema: z.object({ run_id: runId.optional() }),
      run: async ({ run_id }, ctx) => compactRun(await workflows.get(await runOrLatest(ctx, run_id))),
    }),
    defineTool({
      name: 'list_workflows',
      description: 'Workflow runs, newest first: active (running or waiting), past (finished) or all.',
      schema: z.object({
        state: z.enum(['active', 'past', 'all']).default('active'),
        name: workflowName.optional(),
        limit: z.number().int().min(1).max(50).default(10),
      }),
      run: async (filter) => {
        const runs = await workflows.list(filter);
        return {
          count: runs.length,
          runs: runs.map((r) => ({
            id: r.id,
            name: r.name,
            title: r.title,
            status: r.status,
            progress: r.progress,
            currentStep: r.currentStep,
            startedBy: r.startedBy,
            createdAt: r.createdAt,
          })),
        };
      },
    }),
    defineTool({
      name: 'deploy_runs',
      description:
        'Deploy runs (deploy_application), newest first, optionally for one repository: repository, ref, target agent, status, who started it and when, and every decision at its gates (approved or rejected, by whom, when, note). Use it for "who approved / who deployed / when was X last deployed".',
      schema: z.object({
        repository: repositoryNameSchema.optional(),
        status: z.enum(RUN_STATUSES).optional(),
        limit: z.number().int().min(1).max(20).default(5),
      }),
      run: async ({ repository, status, limit }) => {
        const runs = await workflows.list({
          state: 'all',
          name: 'deploy_application',
          limit: DEPLOY_RUNS_SCANNED,
        });
        const matching = runs.filter(
          (r) => (!repository || r.context.repository === repository) && (!status || r.status === status),
        );
        return {
          repository: repository ?? null,
          count: Math.min(matching.length, limit),
          scanned: runs.length,
          runs: matching.slice(0, limit).map(deployRecord),
        };
      },
    }),
    defineTool({
      name: 'submit_step_input',
      description:
        'Give the value a step is waiting for (a step in status awaiting_input, e.g. a host name). Not for approvals.',
      schema: z.object({
        run_id: runId.optional(),
        value: z.union([z.string().max(4096), z.number()]),
        step_id: z.string().max(64).optional(),
      }),
      run: async ({ run_id, value, step_id }, ctx) => {
        const id = await runOrLatest(ctx, run_id);
        return compactRun(await workflows.submitInput(id, { value, stepId: step_id, by: ctx.actor }));
      },
    }),
    defineTool({
      name: 'cancel_workflow',
      description: 'Cancel a workflow run that has not finished; the step in flight is aborted.',
      schema: z.object({ run_id: runId.optional(), reason: z.string().max(500).optional() }),
      run: async ({ run_id, reason }, ctx) => {
        const id = await runOrLatest(ctx, run_id);
        return compactRun(await workflows.cancel(id, { by: ctx.actor, reason: reason ?? null }));
      },
    }),
    defineTool({
      name: 'propose_approval',
      description:
        'Offer the person Approve and Reject buttons for a step waiting for approval. This never approves: only the person decides, by clicking or by writing "approve" / "reject" themselves.',
      schema: z.object({ run_id: runId.optional(), step_id: z.string().max(64).optional() }),
      run: async ({ run_id, step_id }, ctx) => {
        const run: WorkflowRun = await workflows.get(await runOrLatest(ctx, run_id));
        // Several gates may wait at once (parallel steps): step_id picks one, otherwise the first is offered.
        const gates = run.steps.filter((s) => s.status === 'awaiting_approval');
        if (gates.length === 0) {
          throw new ToolError(
            `run ${run.id} has no step waiting for approval (it is ${run.status})`,
            'conflict',
          );
        }
        const step = step_id ? gates.find((s) => s.id === step_id) : gates[0]!;
        if (!step) {
          throw new ToolError(
            `step "${step_id}" is not waiting; ${gates.map((s) => `"${s.id}"`).join(', ')} ${gates.length > 1 ? 'are' : 'is'}`,
            'conflict',
          );
        }
        // With several gates waiting, each pair of buttons says whose it is.
        const named = gates.length > 1 ? ` “${step.title}”` : '';
        ctx.effects.quickActions.push(
          { kind: 'approve', label: `Approve${named}`, runId: run.id, stepId: step.id },
          { kind: 'reject', label: `Reject${named}`, runId: run.id, stepId: step.id },
        );
        return {
          proposed: true,
          runId: run.id,
          stepId: step.id,
          step: step.title,
          plan: step.plan?.summary ?? step.summary,
          note: 'Approve and Reject buttons are shown to the person; nothing was decided.',
        };
      },
    }),
  ];
}
