import {
  approveBodySchema,
  cancelBodySchema,
  definitionNameParamSchema,
  definitionVersionQuerySchema,
  eventsQuerySchema,
  exportDefinitionQuerySchema,
  listWorkflowsQuerySchema,
  type RollbackPlan,
  type RunExport,
  rerunBodySchema,
  rollbackBodySchema,
  runHistoryQuerySchema,
  runIdSchema,
  runTrendsQuerySchema,
  saveDefinitionQuerySchema,
  startWorkflowBodySchema,
  startWorkflowQuerySchema,
  submitInputBodySchema,
  type WorkflowLibraryResponse,
  workflowDocumentJsonSchema,
} from '@deploybot/shared';
import type { Router } from 'express';
import type { AuditLog } from '../auth/audit-log';
import type { AuthService } from '../auth/auth.service';
import type { GuardedWorkflows } from '../auth/guarded-workflows';
import { BadCursorError, type RunHistoryStore } from '../db/run-history.store';
import type { RunTrendsStore } from '../db/run-trends.store';
import { ROLLBACK_WORKFLOW, type WorkflowEngine } from '../engine/engine';
import { invalid, type WorkflowCatalog } from '../workflows/workflow-catalog';
import { apiRouter, signedIn } from './access';
import type { ActorResolver } from './actor';
import { HttpError, parseOr400 } from './http-error';
import { buildTimeline } from './run-timeline';

/** The workflow API, with the paths and fields documented for users. */
export function workflowsRouter(
  auth: AuthService,
  engine: WorkflowEngine,
  workflows: GuardedWorkflows,
  actorOf: ActorResolver,
  audit: AuditLog,
  catalog: WorkflowCatalog,
  history: RunHistoryStore,
  trends: RunTrendsStore,
): Router {
  const api = apiRouter(auth);
  const runId = (raw: unknown) => parseOr400(runIdSchema, raw, 'params');
  const definitionName = (raw: unknown) => parseOr400(definitionNameParamSchema, raw, 'params');

  api.get('/definitions', 'viewer', (_req, res) => {
    res.json({ definitions: engine.definitions() });
  });

  /** The library: every workflow with its latest version, who changed it and when, and its runs' success rate. */
  api.get('/library', 'viewer', async (_req, res) => {
    const body: WorkflowLibraryResponse = { workflows: await catalog.library() };
    res.json(body);
  });

  /** The workflow language's JSON Schema (for editors and CI linting of documents). */
  api.get('/schema', 'viewer', (_req, res) => {
    res.json(workflowDocumentJsonSchema());
  });

  api.get('/step-kinds', 'viewer', (_req, res) => {
    res.json({ kinds: catalog.stepKinds() });
  });

  /**
   * Stores a document (YAML with `Content-Type: application/yaml`, or JSON) as its name's next version. With
   * `?dry_run=true` it is only compiled: 200 with its shape, or 400 with every problem and its line.
   */
  api.post('/definitions', 'admin', async (req, res) => {
    const { dry_run } = parseOr400(saveDefinitionQuerySchema, req.query, 'query');
    const isText = typeof req.body === 'string';
    if (!isText && (req.body === undefined || typeof req.body !== 'object' || Array.isArray(req.body))) {
      throw new HttpError(
        400,
        'bad_request',
        'send the workflow as YAML (Content-Type: application/yaml) or as a JSON object',
      );
    }
    const format = isText ? 'yaml' : 'json';
    if (dry_run === 'true') {
      const compiled = catalog.compileText(req.body, format);
      if (!compiled.ok) throw invalid(compiled.issues);
      res.json({
        ok: true,
        name: compiled.document.name,
        hash: compiled.definition.hash,
        document: compiled.document,
      });
      return;
    }
    const saved = await catalog.save(req.body, format, actorOf(req));
    res.status(201).json(saved);
  });

  api.get('/definitions/:name', 'viewer', async (req, res) => {
    const name = definitionName(req.params.name);
    const { version } = parseOr400(definitionVersionQuerySchema, req.query, 'query');
    res.json(await catalog.get(name, version));
  });

  api.get('/definitions/:name/export', 'viewer', async (req, res) => {
    const name = definitionName(req.params.name);
    const { format, version } = parseOr400(exportDefinitionQuerySchema, req.query, 'query');
    const exported = await catalog.export(name, format, version);
    // attachment() sets a type from the file name (text/yaml): the media type is set after it.
    res
      .attachment(`${name}.v${exported.version}.${format}`)
      .type(format === 'yaml' ? 'application/yaml' : 'application/json')
      .send(exported.text);
  });

  api.delete('/definitions/:name', 'admin', async (req, res) => {
    await catalog.remove(definitionName(req.params.name), actorOf(req));
    res.status(204).end();
  });

  api.post('/start', 'operator', async (req, res) => {
    const { workflow_name, version } = parseOr400(startWorkflowQuerySchema, req.query, 'query');
    const context = parseOr400(startWorkflowBodySchema, req.body ?? {}, 'body');
    res.status(201).json(await workflows.start(workflow_name, context, actorOf(req), { version }));
  });

  api.get('/', 'viewer', async (req, res) => {
    const filter = parseOr400(listWorkflowsQuerySchema, req.query, 'query');
    res.json({ runs: await engine.list(filter) });
  });

  /** Every run, newest first, filtered, one cursor page at a time (see migration 013 for the indexes). */
  api.get('/history', 'viewer', async (req, res) => {
    const query = parseOr400(runHistoryQuerySchema, req.query, 'query');
    try {
      res.json(await history.page(query));
    } catch (err) {
      if (!(err instanceof BadCursorError)) throw err;
      throw new HttpError(400, 'validation_failed', `invalid query: cursor: ${err.message}`, [
        { path: 'query.cursor', message: err.message },
      ]);
    }
  });

  /** One workflow's runs over a range, per day or week: outcomes, durations, gate waits, the steps that fail most. */
  api.get('/trends', 'viewer', async (req, res) => {
    res.json(await trends.trends(parseOr400(runTrendsQuerySchema, req.query, 'query')));
  });

  api.get('/:id', 'viewer', async (req, res) => {
    res.json(await engine.get(runId(req.params.id)));
  });

  api.post('/:id/approve', 'operator', async (req, res) => {
    const id = runId(req.params.id);
    const body = parseOr400(approveBodySchema, req.body, 'body');
    const command = {
      approved: body.approved,
      input: body.user_input,
      note: body.note ?? null,
      stepId: body.step_id,
      by: actorOf(req),
    };
    res.json(await workflows.decide(id, command, signedIn(req).user));
  });

  api.post('/:id/input', 'operator', async (req, res) => {
    const id = runId(req.params.id);
    const body = parseOr400(submitInputBodySchema, req.body, 'body');
    const command = { value: body.value, note: body.note ?? null, stepId: body.step_id, by: actorOf(req) };
    res.json(await workflows.submitInput(id, command));
  });

  api.post('/:id/cancel', 'operator', async (req, res) => {
    const id = runId(req.params.id);
    const body = parseOr400(cancelBodySchema, req.body ?? {}, 'body');
    res.json(await workflows.cancel(id, { by: actorOf(req), reason: body.reason ?? null }));
  });

  /**
   * A new run of the same workflow with the same start inputs. Sealed (secret) inputs are opened here and sealed
   * again by the start, so they never leave the server; gates ask again. Audited as a start, plus what it repeats.
   */
  api.post('/:id/rerun', 'operator', async (req, res) => {
    const id = runId(req.params.id);
    parseOr400(rerunBodySchema, req.body ?? {}, 'body');
    const run = await engine.get(id);
    const def = engine.definitions().find((d) => d.name === run.name);
    if (!def) throw new HttpError(409, 'conflict', `workflow "${run.name}" is no longer defined`);
    const sealed = await engine.revealSecrets(id);
    const inputs: Record<string, unknown> = {};
    for (const spec of def.inputs) {
      if (Object.hasOwn(sealed, spec.key)) inputs[spec.key] = sealed[spec.key];
      else if (Object.hasOwn(run.context, spec.key)) inputs[spec.key] = run.context[spec.key];
    }
    const by = actorOf(req);
    const next = await workflows.start(run.name, inputs, by);
    await audit.record(by, 'workflow.rerun', next.id, { workflow: run.name, rerunOf: id });
    res.status(201).json(next);
  });

  /** A rollback run of a completed or failed run: its gate shows the plan before anything is undone. */
  api.post('/:id/rollback', 'operator', async (req, res) => {
    const id = runId(req.params.id);
    parseOr400(rollbackBodySchema, req.body ?? {}, 'body');
    res.status(201).json(await workflows.rollback(id, actorOf(req)));
  });

  /** What a rollback of the run would undo, most recent first, before anything starts (the Roll back button). */
  api.get('/:id/rollback-plan', 'viewer', async (req, res) => {
    const run = await engine.get(runId(req.params.id));
    const reason =
      run.name === ROLLBACK_WORKFLOW
        ? 'a rollback run cannot be rolled back'
        : run.status !== 'completed' && run.status !== 'failed'
          ? `run is ${run.status}: only a completed or failed run can be rolled back`
          : null;
    const plan: RollbackPlan = {
      runId: run.id,
      possible: reason === null,
      reason,
      items: reason === null ? engine.rollbackPlan(run) : [],
    };
    res.json(plan);
  });

  /** The run's sealed values in clear (e.g. register_agent's join token), for its starter or an admin; audited. */
  api.post('/:id/reveal', 'operator', async (req, res) => {
    const id = runId(req.params.id);
    const run = await engine.get(id);
    const user = signedIn(req).user;
    if (run.startedBy !== user.username && user.role !== 'admin') {
      throw new HttpError(
        403,
        'forbidden',
        'only the person who started this run, or an admin, may reveal its secrets',
      );
    }
    const secrets = await engine.revealSecrets(id);
    await audit.record(user.username, 'workflow.reveal', id, {
      workflow: run.name,
      keys: Object.keys(secrets),
    });
    res.json({ secrets });
  });

  api.get('/:id/events', 'viewer', async (req, res) => {
    const id = runId(req.params.id);
    await engine.get(id); // 404 for unknown runs rather than an empty list
    const after = parseOr400(eventsQuerySchema, req.query, 'query').after;
    res.json({ events: await engine.events(id, after) });
  });

  /** The run's timeline, replayed from its event log: who did what when, what each step got and gave, the bars. */
  api.get('/:id/timeline', 'viewer', async (req, res) => {
    res.json(await timelineOf(runId(req.params.id)));
  });

  /** The run, its whole event log and its timeline, as a JSON file. */
  api.get('/:id/export', 'viewer', async (req, res) => {
    const id = runId(req.params.id);
    const timeline = await timelineOf(id);
    const body: RunExport = {
      format: 'deploybot.run/v1',
      exportedAt: new Date().toISOString(),
      exportedBy: signedIn(req).user.username,
      run: timeline.run,
      events: (await engine.events(id)).map(({ seq, type, at, stepId, detail }) => ({
        seq,
        type,
        at,
        stepId,
        detail,
      })),
      timeline: timeline.entries,
    };
    res
      .attachment(`run-${id}.json`)
      .type('application/json')
      .send(JSON.stringify(body, null, 2));
  });

  async function timelineOf(id: string) {
    const run = await engine.get(id);
    const [events, audit, document] = await Promise.all([
      engine.events(id),
      history.auditOf(id),
      // A run of a TypeScript definition has no stored document: its steps' `with` is unknown, not an error.
      catalog.get(run.name, run.version).then(
        (d) => d.document,
        () => null,
      ),
    ]);
    const withs = new Map((document?.steps ?? []).map((s) => [s.id, s.with]));
    return buildTimeline({
      run,
      events,
      audit,
      withOf: (stepId) => withs.get(stepId) ?? null,
      now: new Date().toISOString(),
    });
  }

  return api.router;
}
