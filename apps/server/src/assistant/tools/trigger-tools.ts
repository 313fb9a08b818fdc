import {
  createTriggerBodySchema,
  describeTriggerSource,
  MAX_TRIGGER_RATE_LIMIT,
  PROPOSE_TRIGGER_TOOL,
  TRIGGER_NAME_RE,
  type TriggerDto,
  type TriggerProposal,
  type TriggerSource,
  triggerSourceSchema,
} from '@deploybot/shared';
import { z } from 'zod';
import { DeployBotError } from '../../errors/deploybot-error';
import type { AssistantTriggers } from '../triggers-port';
import { defineTool, type ToolDef } from './registry';

/** How many of each trigger's latest firings `list_triggers` shows. */
const FIRINGS_LISTED = 3;

/**
 * A free name for a proposal that has none: the workflow and what fires it (`health-check-cron`,
 * `troubleshoot-failure-job-failed`), numbered when taken.
 */
export function proposalName(workflow: string, source: TriggerSource, taken: ReadonlySet<string>): string {
  const what = source.type === 'event' ? source.on.replace('.', '-') : source.type;
  const base = `${workflow.replace(/_/g, '-')}-${what}`.slice(0, 56);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function compactTrigger(t: TriggerDto) {
  return {
    id: t.id,
    name: t.name,
    workflow: t.workflow,
    version: t.version,
    enabled: t.enabled,
    pausedReason: t.pausedReason,
    source: describeTriggerSource(t.source),
    timezone: t.source.type === 'cron' ? t.source.timezone : null,
    inputs: t.inputs,
    nextFireTimes: t.nextFireTimes.slice(0, 3),
  };
}

/**
 * Trigger tools. There is deliberately no tool that creates, changes or deletes a trigger: `propose_trigger`
 * checks one and shows it as a card whose "Create trigger" button a person (an admin) clicks.
 */
export function triggerTools(triggers: AssistantTriggers): ToolDef[] {
  return [
    defineTool({
      name: 'list_triggers',
      description:
        'The triggers that start workflows without anyone typing (cron schedules, fleet events, webhooks): workflow, source, enabled, next fire times and the latest firings with the run each started and its outcome.',
      schema: z.object({}),
      run: async () => {
        const all = await triggers.list();
        return {
          count: all.length,
          triggers: await Promise.all(
            all.map(async (t) => ({
              ...compactTrigger(t),
              lastFirings: (await triggers.firings(t.id, { limit: FIRINGS_LISTED })).map((f) => ({
                at: f.at,
                outcome: f.outcome,
                reason: f.reason,
                runId: f.runId,
              })),
            })),
          ),
        };
      },
    }),
    defineTool({
      name: PROPOSE_TRIGGER_TOOL,
      description:
        'Propose a trigger: a workflow started on a cron schedule ({type:"cron", expression:"0 8 * * 1-5", timezone:"Europe/Berlin"}; IANA zones, 5 fields or 6 with seconds first), on a fleet event ({type:"event", on:"job.failed", filter:\'event.repository == "myorg/app"\'}) or on a signed webhook ({type:"webhook"}). Inputs may use ${{ event.… }} (e.g. troubleshoot_failure {job_id:"${{ event.job_id }}"}). It is checked like a create but NOT created: the person sees a card and creates it with a click (admins only).',
      schema: z.object({
        workflow: z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,63}$/)
          .describe('workflow definition name, e.g. health_check'),
        source: triggerSourceSchema,
        name: z
          .string()
          .regex(TRIGGER_NAME_RE)
          .optional()
          .describe(
            'lower-case name (letters, digits, "-", "_"); default: made from the workflow and source',
          ),
        inputs: z.record(z.string(), z.unknown()).default({}).describe('start inputs of the workflow'),
        version: z.number().int().min(1).optional().describe('pin a stored version of the workflow'),
        rate_limit: z.number().int().min(1).max(MAX_TRIGGER_RATE_LIMIT).optional(),
      }),
      run: async (args): Promise<TriggerProposal> => {
        const taken = new Set((await triggers.list()).map((t) => t.name));
        // The very schema of POST /v1/triggers, then the very checks a create runs (TriggerService.preview).
        const parsed = createTriggerBodySchema.safeParse({
          ...args,
          name: args.name ?? proposalName(args.workflow, args.source, taken),
        });
        if (!parsed.success) {
          const details = parsed.error.issues.map((i) => ({
            path: i.path.map(String).join('.'),
            message: i.message,
          }));
          throw new DeployBotError('validation_failed', 'invalid trigger', { details });
        }
        const body = parsed.data;
        const { workflowTitle, nextFireTimes } = await triggers.preview(body);
        return {
          kind: 'trigger_proposal',
          trigger: {
            name: body.name,
            workflow: body.workflow,
            ...(body.version !== undefined && { version: body.version }),
            inputs: body.inputs,
            enabled: body.enabled,
            rate_limit: body.rate_limit,
            source: body.source,
          },
          workflowTitle,
          source: describeTriggerSource(body.source),
          nextFireTimes,
          note: 'Nothing was created: the person sees this trigger as a card and creates it with "Create trigger" (admins only).',
        };
      },
    }),
  ];
}
