import type {
  AgentDto,
  ChatMessageDto,
  ChatSessionDto,
  JobDto,
  JobLogPage,
  WorkflowRun,
} from '@deploybot/shared';
import { onAgentStatus } from '../stores/handlers/agent-status';
import { onChatDelta } from '../stores/handlers/chat-delta';
import { onChatMessage } from '../stores/handlers/chat-message';
import { onChatSession } from '../stores/handlers/chat-session';
import { onChatSnapshot } from '../stores/handlers/chat-snapshot';
import { onFleetSnapshot } from '../stores/handlers/fleet-snapshot';
import {
  beginJobLog,
  onJobLog,
  onJobLogSnapshot,
  onOlderLines,
  onOlderLinesLoading,
} from '../stores/handlers/job-log';
import { onJobStatus } from '../stores/handlers/job-status';
import { onRunSnapshot } from '../stores/handlers/run-snapshot';
import { beginRunsSync, onRunsSnapshot } from '../stores/handlers/runs-snapshot';
import { onWorkflowEvent } from '../stores/handlers/workflow-event';
import { finishRefetch, type RunSyncDeps } from '../stores/run-sync';
import { appStore } from '../stores/store';
import { api } from './api';
import { type AppSocket, ask, createSocket } from './socket';

let socket: AppSocket | null = null;
/** What the client follows beyond the always-on rooms; re-subscribed on every (re)connect. */
const followed: { run: string | null; job: string | null; chat: string | null } = {
  run: null,
  job: null,
  chat: null,
};
const refetchesInFlight = new Set<string>();

const deps: RunSyncDeps = {
  refetchRun(runId) {
    if (refetchesInFlight.has(runId)) return;
    refetchesInFlight.add(runId);
    api<WorkflowRun>('GET', `/v1/ai/workflows/${runId}`)
      .then((run) => finishRefetch(appStore, runId, run, deps))
      .catch(() => finishRefetch(appStore, runId, null, deps))
      .finally(() => refetchesInFlight.delete(runId));
  },
};

const warn = (what: string) => (err: unknown) => console.warn(`${what} failed:`, err);

function subscribeRun(s: AppSocket, runId: string): void {
  ask<{ run: WorkflowRun }>(s, 'workflow:subscribe', { runId })
    .then(({ run }) => onRunSnapshot(appStore, run))
    .catch(warn('workflow:subscribe'));
}

function subscribeJob(s: AppSocket, jobId: string): void {
  beginJobLog(appStore, jobId);
  ask<{ job: JobDto } & JobLogPage>(s, 'job:subscribe', { jobId })
    .then(({ job, ...page }) => onJobLogSnapshot(appStore, job, page))
    .catch(warn('job:subscribe'));
}

/** Pages older lines of a followed job in (the snapshot holds only the newest ones). */
export function loadOlderJobLines(jobId: string): void {
  const log = appStore.getState().logs[jobId];
  const s = liveSocket();
  if (!s || !log || log.before === null || log.loadingOlder) return;
  const before = log.before;
  onOlderLinesLoading(appStore, jobId, true);
  ask<JobLogPage>(s, 'job:logs', { jobId, before })
    .then((page) => onOlderLines(appStore, jobId, before, page))
    .catch((err) => {
      onOlderLinesLoading(appStore, jobId, false);
      warn('job:logs')(err);
    });
}

function subscribeChat(s: AppSocket, sessionId: string): void {
  ask<{ session: ChatSessionDto; messages: ChatMessageDto[] }>(s, 'chat:subscribe', { sessionId })
    .then((snap) => onChatSnapshot(appStore, snap))
    .catch(warn('chat:subscribe'));
}

/** On every (re)connect: buffer, subscribe, adopt the snapshots, replay — the reconnect rule of events.ts. */
function resubscribeAll(s: AppSocket): void {
  beginRunsSync(appStore);
  ask<{ runs: WorkflowRun[] }>(s, 'workflows:subscribe', {})
    .then(({ runs }) => onRunsSnapshot(appStore, runs, deps))
    .catch(warn('workflows:subscribe'));
  ask<{ agents: AgentDto[]; jobs: JobDto[] }>(s, 'fleet:subscribe', {})
    .then((snap) => onFleetSnapshot(appStore, snap))
    .catch(warn('fleet:subscribe'));
  if (followed.run) subscribeRun(s, followed.run);
  if (followed.job) subscribeJob(s, followed.job);
  if (followed.chat) subscribeChat(s, followed.chat);
}

/** Opens the one socket and wires one handler per server event. */
export function connectRealtime(onUnauthorized: () => void): void {
  if (socket) return;
  const s = createSocket();
  socket = s;
  s.on('connect', () => {
    appStore.setState({ connection: 'online' });
    resubscribeAll(s);
  });
  s.on('disconnect', () => appStore.setState({ connection: 'offline' }));
  s.on('connect_error', (err) => {
    appStore.setState({ connection: 'offline' });
    if (err.message === 'unauthorized') onUnauthorized();
  });
  s.on('workflow:event', (e) => onWorkflowEvent(appStore, e, deps));
  s.on('agent:status', (a) => onAgentStatus(appStore, a));
  s.on('job:status', (j) => onJobStatus(appStore, j));
  s.on('job:log', (b) => onJobLog(appStore, b));
  s.on('chat:delta', (d) => onChatDelta(appStore, d));
  s.on('chat:message', (m) => onChatMessage(appStore, m));
  s.on('chat:session', (c) => onChatSession(appStore, c));
  s.connect();
}

export function disconnectRealtime(): void {
  socket?.disconnect();
  socket = null;
}

/** The connected socket, for requests such as chat:send; null while offline. */
export function liveSocket(): AppSocket | null {
  return socket?.connected ? socket : null;
}

function follow(kind: 'run' | 'job' | 'chat', id: string | null): void {
  const previous = followed[kind];
  if (previous === id) return;
  followed[kind] = id;
  const s = liveSocket();
  if (!s) return; // subscribed on connect
  if (previous) {
    const unsub = { run: 'workflow:unsubscribe', job: 'job:unsubscribe', chat: 'chat:unsubscribe' } as const;
    const key = kind === 'run' ? 'runId' : kind === 'job' ? 'jobId' : 'sessionId';
    ask(s, unsub[kind], { [key]: previous }).catch(() => {});
  }
  if (!id) return;
  if (kind === 'run') subscribeRun(s, id);
  else if (kind === 'job') subscribeJob(s, id);
  else subscribeChat(s, id);
}

export const followRun = (runId: string | null) => follow('run', runId);
export const followJob = (jobId: string | null) => follow('job', jobId);
export const followChat = (sessionId: string | null) => follow('chat', sessionId);
