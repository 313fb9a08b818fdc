import type { RunStatus, StepStatus } from '@deploybot/shared';

export interface StatusView {
  icon: string;
  label: string;
  /** Text colour, light and dark (contrast ≥ 4.5:1 on the sidebar background). */
  tone: string;
}

/** How each step status looks: ○ ◐ ✓ ✗ plus distinct marks for waiting, skipped and cancelled. */
export const STEP_STATUS_VIEW: Record<StepStatus, StatusView> = {
  pending: { icon: '○', label: 'Pending', tone: 'text-slate-500 dark:text-slate-400' },
  in_progress: { icon: '◐', label: 'In progress', tone: 'text-blue-600 dark:text-blue-400' },
  awaiting_approval: { icon: '‖', label: 'Waiting for approval', tone: 'text-amber-700 dark:text-amber-400' },
  awaiting_input: { icon: '✎', label: 'Waiting for input', tone: 'text-violet-700 dark:text-violet-400' },
  // Parked on something outside the run (a timer, a job, an agent, a child run); its summary says what.
  awaiting_event: { icon: '⧖', label: 'Waiting', tone: 'text-sky-700 dark:text-sky-400' },
  completed: { icon: '✓', label: 'Completed', tone: 'text-green-700 dark:text-green-400' },
  failed: { icon: '✗', label: 'Failed', tone: 'text-red-600 dark:text-red-400' },
  skipped: { icon: '↷', label: 'Skipped', tone: 'text-slate-500 dark:text-slate-400' },
  cancelled: { icon: '⊘', label: 'Cancelled', tone: 'text-orange-700 dark:text-orange-400' },
  compensated: { icon: '↺', label: 'Undone', tone: 'text-slate-600 dark:text-slate-400' },
};

export const RUN_STATUS_VIEW: Record<RunStatus, StatusView> = {
  queued: { icon: '⋯', label: 'Queued', tone: 'text-slate-600 dark:text-slate-400' },
  running: { icon: '◐', label: 'Running', tone: 'text-blue-600 dark:text-blue-400' },
  waiting: { icon: '‖', label: 'Waiting', tone: 'text-amber-700 dark:text-amber-400' },
  completed: { icon: '✓', label: 'Completed', tone: 'text-green-700 dark:text-green-400' },
  failed: { icon: '✗', label: 'Failed', tone: 'text-red-600 dark:text-red-400' },
  cancelled: { icon: '⊘', label: 'Cancelled', tone: 'text-orange-700 dark:text-orange-400' },
};
