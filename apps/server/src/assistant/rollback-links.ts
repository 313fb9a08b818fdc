import type { WorkflowEvent } from '@deploybot/shared';

/** How long a proposal waits for its click before it is forgotten. */
export const ROLLBACK_PROPOSAL_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The chat proposes a rollback with a "Start rollback" button; the click goes to the REST route, like the run
 * page's button, so the route's role check and audit apply. This remembers which conversation proposed the
 * rollback of which run for whom, and links the rollback run that person starts to that conversation, so its
 * steps (and its gate's Approve / Reject) are narrated there. In memory: after a restart the rollback still
 * starts and shows in the sidebar, only its narration in the chat is lost.
 */
export class RollbackLinks {
  private readonly proposals = new Map<string, { owner: string; sessionId: string; at: number }>();

  constructor(
    private readonly link: (owner: string, sessionId: string, runId: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  proposed(owner: string, sessionId: string, targetRunId: string): void {
    this.forgetOld();
    this.proposals.set(`${owner}\n${targetRunId}`, { owner, sessionId, at: this.now() });
  }

  /** The engine's committed transitions: a rollback started by the person it was proposed to is linked once. */
  onEvent(event: WorkflowEvent): void {
    if (event.type !== 'run.started' || !event.run.rollbackOf) return;
    const key = `${event.run.startedBy}\n${event.run.rollbackOf}`;
    const proposal = this.proposals.get(key);
    if (!proposal) return;
    this.proposals.delete(key);
    void this.link(proposal.owner, proposal.sessionId, event.run.id);
  }

  private forgetOld(): void {
    const oldest = this.now() - ROLLBACK_PROPOSAL_TTL_MS;
    for (const [key, p] of this.proposals) if (p.at < oldest) this.proposals.delete(key);
  }
}
