import type { AgentDto, JobDto, WorkflowRun } from '@deploybot/shared';
import type { ConversationRun } from '../provider';

/** Short shapes of fleet and workflow objects for tool results: what a person or a model needs, no more. */

export function compactAgent(a: AgentDto) {
  return {
    hostname: a.hostname,
    id: a.id,
    environment: a.environment,
    status: a.status,
    labels: a.labels,
    version: a.version,
    address: a.address,
    lastHeartbeatAt: a.lastHeartbeatAt,
    runningJobs: a.runningJobs,
  };
}

export function compactJob(j: JobDto) {
  return {
    id: j.id,
    repository: j.repository,
    ref: j.ref,
    sha: j.sha.slice(0, 12),
    agent: j.agentHostname,
    status: j.status,
    error: j.error,
    cause: j.cause,
    step: j.step,
    attempt: j.attempt,
    runId: j.runId,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt,
  };
}

/** A run as the model and the chat see it: steps with status and summary, the waiting gate, no raw data. */
export function compactRun(run: WorkflowRun) {
  return {
    ...conversationRun(run),
    startedBy: run.startedBy,
    steps: run.steps.map((s) => ({
      id: s.id,
      title: s.title,
      status: s.status,
      summary: s.summary,
      error: s.error,
      needsApproval: s.needsApproval,
    })),
  };
}

export function waitingOf(run: WorkflowRun): ConversationRun['waiting'] {
  // A gate may wait while another branch still runs: the step's status says it, not the run's.
  if (run.status !== 'waiting' && run.status !== 'running') return null;
  const step = run.steps.find((s) => s.status === 'awaiting_approval' || s.status === 'awaiting_input');
  if (!step) return null;
  return {
    stepId: step.id,
    title: step.title,
    kind: step.status === 'awaiting_approval' ? 'approval' : 'input',
    summary: step.plan?.summary ?? step.summary,
    input: step.input
      ? {
          key: step.input.key,
          label: step.input.label,
          type: step.input.type,
          ...(step.input.choices && { choices: step.input.choices }),
        }
      : null,
  };
}

export function conversationRun(run: WorkflowRun): ConversationRun {
  return {
    id: run.id,
    name: run.name,
    title: run.title,
    status: run.status,
    progress: run.progress,
    currentStep: run.currentStep,
    waiting: waitingOf(run),
    gates:
      run.status === 'waiting' || run.status === 'running'
        ? run.steps
            .filter((s) => s.status === 'awaiting_approval')
            .map((s) => ({ stepId: s.id, title: s.title, summary: s.plan?.summary ?? s.summary }))
        : [],
    error: run.error,
    createdAt: run.createdAt,
  };
}
