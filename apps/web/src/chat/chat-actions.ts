import type {
  AiStatusDto,
  ChatMessageDto,
  ChatSessionDto,
  QuickAction,
  WorkflowRun,
} from '@deploybot/shared';
import { ApiError, api, errorMessage } from '../lib/api';
import { followChat, liveSocket } from '../lib/realtime';
import { ask } from '../lib/socket';
import { onChatMessage } from '../stores/handlers/chat-message';
import { onChatSession } from '../stores/handlers/chat-session';
import { mergeRun } from '../stores/run-sync';
import { appStore } from '../stores/store';
import { decide, selectRun, startWorkflow } from '../workflows/workflow-actions';

const sessionsPath = '/v1/ai/sessions';
// Tolerates both a bare DTO and one wrapped in `{ session }`.
const sessionOf = (x: ChatSessionDto | { session: ChatSessionDto }) => ('session' in x ? x.session : x);
const setError = (chatError: string | null) => appStore.setState({ chatError });

/** The assistant's provider, or "not configured" when the server has no assistant (404). */
export async function loadAiStatus(): Promise<void> {
  try {
    const res = await api<AiStatusDto | { status: AiStatusDto }>('GET', '/v1/ai/status');
    appStore.setState({ aiStatus: { state: 'ready', status: 'status' in res ? res.status : res } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404)
      appStore.setState({ aiStatus: { state: 'unconfigured' } });
    else setError(errorMessage(err));
  }
}

export async function loadSessions(includeArchived: boolean): Promise<void> {
  const archived = includeArchived ? 'all' : 'false';
  const res = await api<ChatSessionDto[] | { sessions: ChatSessionDto[] }>(
    'GET',
    `${sessionsPath}?archived=${archived}`,
  );
  const list = Array.isArray(res) ? res : res.sessions;
  appStore.setState({ sessions: Object.fromEntries(list.map((s) => [s.id, s])) });
}

export function selectSession(sessionId: string | null): void {
  appStore.setState({ activeSessionId: sessionId, chatError: null });
  followChat(sessionId);
}

export async function newChat(): Promise<string | null> {
  try {
    const session = sessionOf(await api('POST', sessionsPath, {}));
    onChatSession(appStore, session);
    selectSession(session.id);
    return session.id;
  } catch (err) {
    setError(errorMessage(err));
    return null;
  }
}

export async function updateSession(
  id: string,
  patch: { title?: string; archived?: boolean },
): Promise<void> {
  try {
    onChatSession(appStore, sessionOf(await api('PATCH', `${sessionsPath}/${id}`, patch)));
    if (patch.archived && appStore.getState().activeSessionId === id) selectSession(null);
  } catch (err) {
    setError(errorMessage(err));
  }
}

export async function deleteSession(id: string): Promise<void> {
  try {
    await api('DELETE', `${sessionsPath}/${id}`);
    appStore.setState((s) => {
      const { [id]: _gone, ...sessions } = s.sessions;
      return { sessions };
    });
    if (appStore.getState().activeSessionId === id) selectSession(null);
  } catch (err) {
    setError(errorMessage(err));
  }
}

/** Sends a message (creating a conversation first if none is open); the reply streams in over the socket. */
export async function sendMessage(text: string): Promise<boolean> {
  const message = text.trim();
  if (!message) return false;
  const sessionId = appStore.getState().activeSessionId ?? (await newChat());
  const socket = liveSocket();
  if (!sessionId || !socket) {
    if (!socket) setError('not connected to the controller; your message was not sent');
    return false;
  }
  try {
    const { userMessage, replyId } = await ask<{ userMessage: ChatMessageDto; replyId: string }>(
      socket,
      'chat:send',
      { sessionId, message },
    );
    onChatMessage(appStore, userMessage);
    appStore.setState((s) => ({
      streamingReply: { ...s.streamingReply, [sessionId]: replyId },
      chatError: null,
    }));
    return true;
  } catch (err) {
    setError(errorMessage(err));
    return false;
  }
}

/** Asks the server to stop the reply; it is shown stopped when the server's final message says so. */
export async function stopReply(): Promise<void> {
  const { activeSessionId, streamingReply } = appStore.getState();
  const messageId = activeSessionId ? streamingReply[activeSessionId] : undefined;
  const socket = liveSocket();
  if (!activeSessionId || !messageId || !socket) return;
  await ask(socket, 'chat:stop', { sessionId: activeSessionId, messageId }).catch((err) =>
    setError(errorMessage(err)),
  );
}

/** A chat Reject, once the person said why: the reason is the decision's note. */
export async function rejectStep(
  action: { runId: string; stepId: string },
  reason: string,
): Promise<boolean> {
  selectRun(action.runId);
  return decide(action.runId, action.stepId, false, { note: reason });
}

/**
 * A quick-action button: every kind goes to the server; nothing is shown as done before it answers. Reject is not
 * one click: it asks for a reason first (QuickActions), then goes through `rejectStep`.
 */
export async function runQuickAction(action: QuickAction): Promise<void> {
  switch (action.kind) {
    case 'send':
      await sendMessage(action.message);
      return;
    case 'approve':
      selectRun(action.runId);
      await decide(action.runId, action.stepId, true);
      return;
    case 'reject':
      throw new Error('a rejection needs a reason: ask for it, then call rejectStep');
    case 'start_workflow': {
      const res = await startWorkflow(action.workflow, action.context, appStore.getState().activeSessionId);
      if (!res.ok) {
        appStore.setState({ selectedWorkflow: action.workflow, rightOpen: true });
        setError(res.message);
      }
      return;
    }
    case 'open_run':
      appStore.setState({ rightOpen: true });
      selectRun(action.runId);
      return;
    case 'start_rollback':
      await startChatRollback(action.runId);
      return;
  }
}

/**
 * The chat's "Start rollback": the same REST call as the run page's button (its role check and audit), then the
 * rollback run in the sidebar; the server narrates it in this conversation, and its gate waits for a person.
 */
export async function startChatRollback(runId: string): Promise<boolean> {
  try {
    const run = await api<WorkflowRun>('POST', `/v1/ai/workflows/${runId}/rollback`, {});
    mergeRun(appStore, run);
    appStore.setState({ rightOpen: true, chatError: null });
    selectRun(run.id);
    return true;
  } catch (err) {
    setError(errorMessage(err));
    return false;
  }
}
