import type { CreateTriggerBody, FiringDto, ListFiringsQuery, TriggerDto } from '@deploybot/shared';

/**
 * What the assistant may do with triggers: read them and check a proposal. It never creates one: a proposal is
 * shown as a card, and only a person's click (an admin's) creates it through `POST /v1/triggers`.
 * app.ts binds it to the trigger service, so a proposal is checked by the very checks a create runs.
 */
export interface AssistantTriggers {
  list(): Promise<TriggerDto[]>;
  firings(id: string, q: ListFiringsQuery): Promise<FiringDto[]>;
  /** Checks a body as creating it would (400 naming the field, 409 for a taken name); stores nothing. */
  preview(body: CreateTriggerBody): Promise<{ workflowTitle: string; nextFireTimes: string[] }>;
}
