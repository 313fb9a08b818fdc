import {
  chatBodySchema,
  chatSessionIdSchema,
  createSessionBodySchema,
  historyQuerySchema,
  listSessionsQuerySchema,
  renameSessionBodySchema,
  startWorkflowBodySchema,
  startWorkflowQuerySchema,
  updateSessionBodySchema,
} from '@deploybot/shared';
import type { Router } from 'express';
import type { Assistant } from '../assistant/assistant';
import type { AuthService } from '../auth/auth.service';
import { apiRouter } from './access';
import type { ActorResolver } from './actor';
import { parseOr400 } from './http-error';

/**
 * The assistant's REST API under /v1/ai: provider status, conversations (each visible only to the user who
 * created it), and a one-request chat for clients without sockets.
 */
export function assistantRouter(auth: AuthService, assistant: Assistant, actorOf: ActorResolver): Router {
  const api = apiRouter(auth);
  const { chat, workflows } = assistant;
  const id = (raw: unknown) => parseOr400(chatSessionIdSchema, raw, 'params');

  api.get('/status', 'viewer', (_req, res) => {
    res.json(assistant.status());
  });

  api.post('/sessions', 'operator', async (req, res) => {
    const body = parseOr400(createSessionBodySchema, req.body ?? {}, 'body');
    res.status(201).json(await chat.createSession(actorOf(req), body.title));
  });
  api.get('/sessions', 'operator', async (req, res) => {
    const q = parseOr400(listSessionsQuerySchema, req.query, 'query');
    res.json({ sessions: await chat.listSessions(actorOf(req), q) });
  });
  api.get('/sessions/:id', 'operator', async (req, res) => {
    res.json(await chat.getSession(actorOf(req), id(req.params.id)));
  });
  api.get('/sessions/:id/history', 'operator', async (req, res) => {
    const sessionId = id(req.params.id);
    const q = parseOr400(historyQuerySchema, req.query, 'query');
    res.json({ messages: await chat.history(actorOf(req), sessionId, q.limit) });
  });
  api.patch('/sessions/:id', 'operator', async (req, res) => {
    const sessionId = id(req.params.id);
    const body = parseOr400(updateSessionBodySchema, req.body ?? {}, 'body');
    res.json(await chat.updateSession(actorOf(req), sessionId, body));
  });
  api.post('/sessions/:id/archive', 'operator', async (req, res) => {
    res.json(await chat.updateSession(actorOf(req), id(req.params.id), { archived: true }));
  });
  api.post('/sessions/:id/unarchive', 'operator', async (req, res) => {
    res.json(await chat.updateSession(actorOf(req), id(req.params.id), { archived: false }));
  });
  api.post('/sessions/:id/rename', 'operator', async (req, res) => {
    const sessionId = id(req.params.id);
    const { title } = parseOr400(renameSessionBodySchema, req.body, 'body');
    res.json(await chat.updateSession(actorOf(req), sessionId, { title }));
  });
  api.delete('/sessions/:id', 'operator', async (req, res) => {
    await chat.deleteSession(actorOf(req), id(req.params.id));
    res.status(204).end();
  });
  /** Starts a workflow for the conversation (the `start_workflow` quick action): its steps are narrated there. */
  api.post('/sessions/:id/runs', 'operator', async (req, res) => {
    const sessionId = id(req.params.id);
    const { workflow_name } = parseOr400(startWorkflowQuerySchema, req.query, 'query');
    const context = parseOr400(startWorkflowBodySchema, req.body ?? {}, 'body');
    const actor = actorOf(req);
    await chat.getSession(actor, sessionId);
    const run = await workflows.start(workflow_name, context, actor);
    await chat.linkRun(actor, sessionId, run.id);
    res.status(201).json(run);
  });

  api.post('/chat', 'operator', async (req, res) => {
    const body = parseOr400(chatBodySchema, req.body, 'body');
    res.json(await chat.chat(actorOf(req), body));
  });

  return api.router;
}
