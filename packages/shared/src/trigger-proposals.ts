import { z } from 'zod';
import { type TriggerSource, triggerSourceSchema } from './triggers';

/**
 * A trigger the assistant proposes in the chat: checked like `POST /v1/triggers` would check it, but not created.
 * Only a person's click on the card creates it (an admin's, through `POST /v1/triggers` with `trigger`).
 * It is the result of the `propose_trigger` tool, stored with the reply's tool calls; the web app renders the
 * card from there.
 */

/** The name of the tool whose result is a proposal card. */
export const PROPOSE_TRIGGER_TOOL = 'propose_trigger';

export const triggerProposalSchema = z.object({
  kind: z.literal('trigger_proposal'),
  /** The body to send to `POST /v1/triggers`, as checked. */
  trigger: z.object({
    name: z.string(),
    workflow: z.string(),
    version: z.number().int().optional(),
    inputs: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    rate_limit: z.number().int(),
    source: triggerSourceSchema,
  }),
  /** The workflow's title (`Run a health check`). */
  workflowTitle: z.string(),
  /** The source in words (see describeTriggerSource). */
  source: z.string(),
  /** For a cron source: its next five fire times (ISO, UTC). */
  nextFireTimes: z.array(z.string()),
  note: z.string(),
});
export type TriggerProposal = z.infer<typeof triggerProposalSchema>;

/**
 * A trigger's source in words, the same in the chat and on the Triggers page: `cron 0 8 * * 1-5 (Europe/Berlin)`,
 * `on job.failed when event.repository == "myorg/app"`, `webhook`.
 */
export function describeTriggerSource(source: TriggerSource): string {
  switch (source.type) {
    case 'cron':
      return `cron ${source.expression} (${source.timezone})`;
    case 'event':
      return `on ${source.on}${source.filter ? ` when ${source.filter}` : ''}`;
    case 'webhook':
      return 'webhook';
  }
}
