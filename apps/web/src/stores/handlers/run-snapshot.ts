import type { WorkflowRun } from '@deploybot/shared';
import { mergeRun } from '../run-sync';
import type { AppStore } from '../types';

/** Ack of `workflow:subscribe` (one run, e.g. a past run opened from the list): keep it unless we hold newer. */
export function onRunSnapshot(store: AppStore, run: WorkflowRun): void {
  mergeRun(store, run);
}
