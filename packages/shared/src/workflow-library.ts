import { z } from 'zod';
import { workflowDocumentSchema } from './workflow-language';

/**
 * The workflow library (`GET /v1/ai/workflows/library`): every workflow new runs may use, with who changed it last
 * and how its runs went. One row per name; runs of every version count.
 */

/** How a workflow's runs went, counted by the database over every run of every version of it. */
export const workflowRunStatsSchema = z.object({
  total: z.number().int().min(0),
  completed: z.number().int().min(0),
  failed: z.number().int().min(0),
  /** Cancelled or rejected by a person: counted neither as a success nor as a failure. */
  cancelled: z.number().int().min(0),
  /** Queued, running or waiting. */
  active: z.number().int().min(0),
  /** completed / (completed + failed), from 0 to 1; null before any run has completed or failed. */
  successRate: z.number().min(0).max(1).nullable(),
});
export type WorkflowRunStats = z.infer<typeof workflowRunStatsSchema>;

export const workflowSummaryDtoSchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  builtIn: z.boolean(),
  /** The version new runs use. */
  latestVersion: z.number().int().min(1),
  /** How many versions are stored. */
  versions: z.number().int().min(1),
  /** Who stored the latest version (`deploybot` for a built-in), and when. */
  updatedBy: z.string(),
  updatedAt: z.string(),
  steps: z.number().int().min(0),
  runs: workflowRunStatsSchema,
});
export type WorkflowSummaryDto = z.infer<typeof workflowSummaryDtoSchema>;

export const workflowLibraryResponseSchema = z.object({ workflows: z.array(workflowSummaryDtoSchema) });
export type WorkflowLibraryResponse = z.infer<typeof workflowLibraryResponseSchema>;

/** What `POST /v1/ai/workflows/definitions?dry_run=true` answers for a document that compiles. */
export const dryRunResponseSchema = z.object({
  ok: z.literal(true),
  name: z.string(),
  hash: z.string(),
  /** The document with its defaults applied: the shape the editor's graph preview draws. */
  document: workflowDocumentSchema,
});
export type DryRunResponse = z.infer<typeof dryRunResponseSchema>;

/** completed / (completed + failed), or null when neither happened yet. */
export function successRateOf(completed: number, failed: number): number | null {
  const decided = completed + failed;
  return decided === 0 ? null : completed / decided;
}
