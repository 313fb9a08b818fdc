import {
  type ChatMessageDto,
  PROPOSE_TRIGGER_TOOL,
  type TriggerProposal,
  triggerProposalSchema,
} from '@deploybot/shared';

/** The trigger proposals of a reply: the results of its `propose_trigger` calls that succeeded, checked. */
export function proposalsOf(message: Pick<ChatMessageDto, 'toolCalls'>): TriggerProposal[] {
  const out: TriggerProposal[] = [];
  for (const call of message.toolCalls) {
    if (call.name !== PROPOSE_TRIGGER_TOOL || call.error) continue;
    const parsed = triggerProposalSchema.safeParse(call.result);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}
