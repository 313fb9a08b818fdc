import {
  createTriggerBodySchema,
  listFiringsQuerySchema,
  triggerIdSchema,
  updateTriggerBodySchema,
} from '@deploybot/shared';
import express, { type Request, type RequestHandler, type Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import type { TriggerService } from '../triggers/trigger-service';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from '../triggers/webhook-signature';
import { apiRouter } from './access';
import type { ActorResolver } from './actor';
import { HttpError, parseOr400 } from './http-error';

/** `/v1/triggers`: admins create, change and delete triggers (audited); every signed-in user reads them. */
export function triggersRouter(auth: AuthService, triggers: TriggerService, actorOf: ActorResolver): Router {
  const api = apiRouter(auth);
  const triggerId = (raw: unknown) => parseOr400(triggerIdSchema, raw, 'params');

  api.get('/', 'viewer', async (_req, res) => {
    res.json({ triggers: await triggers.list() });
  });

  /** 201 with the trigger; a webhook's `secret` is in this answer and nowhere else, ever. */
  api.post('/', 'admin', async (req, res) => {
    const body = parseOr400(createTriggerBodySchema, req.body, 'body');
    res.status(201).json(await triggers.create(body, actorOf(req)));
  });

  api.get('/:id', 'viewer', async (req, res) => {
    res.json(await triggers.get(triggerId(req.params.id)));
  });

  api.patch('/:id', 'admin', async (req, res) => {
    const id = triggerId(req.params.id);
    const body = parseOr400(updateTriggerBodySchema, req.body, 'body');
    res.json(await triggers.update(id, body, actorOf(req)));
  });

  api.delete('/:id', 'admin', async (req, res) => {
    await triggers.remove(triggerId(req.params.id), actorOf(req));
    res.status(204).end();
  });

  api.get('/:id/firings', 'viewer', async (req, res) => {
    const id = triggerId(req.params.id);
    const q = parseOr400(listFiringsQuerySchema, req.query, 'query');
    res.json({ firings: await triggers.firings(id, q) });
  });

  return api.router;
}

/** The raw bytes of webhook deliveries, kept beside the parsed body: the signature is over exactly these. */
const rawBodies = new WeakMap<Request, Buffer>();

/** Largest webhook delivery accepted (GitHub's push payloads are far below this in practice). */
export const HOOK_BODY_LIMIT = '1mb';

/**
 * Mounted at `/v1/hooks` before the global JSON parser: reads a JSON delivery as bytes (for the signature) and
 * then parses those same bytes, so the rest of the request pipeline (unsafe text, nesting) sees JSON as usual.
 */
export function hookBodyParser(): RequestHandler[] {
  return [
    express.raw({ type: 'application/json', limit: HOOK_BODY_LIMIT }),
    (req, _res, next) => {
      if (!Buffer.isBuffer(req.body)) return next();
      const raw = req.body;
      rawBodies.set(req, raw);
      try {
        req.body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        return next(new HttpError(400, 'bad_request', 'malformed JSON body'));
      }
      next();
    },
  ];
}

/**
 * `/v1/hooks/{trigger id}`: no user signs in; the delivery is authenticated by its HMAC-SHA256 signature
 * (`X-Hub-Signature-256`), checked by the trigger service before anything is recorded or started.
 */
export function hooksRouter(auth: AuthService, triggers: TriggerService): Router {
  const api = apiRouter(auth);
  api.post('/:id', 'public', async (req, res) => {
    const parsed = triggerIdSchema.safeParse(req.params.id);
    if (!parsed.success) throw new HttpError(404, 'not_found', `no webhook trigger ${req.params.id}`);
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const firing = await triggers.receiveHook(parsed.data, {
      raw: rawBodies.get(req) ?? Buffer.alloc(0),
      body: req.body ?? null,
      signature: header(SIGNATURE_HEADER),
      deliveryId: header(DELIVERY_HEADER),
      githubEvent: header(EVENT_HEADER),
    });
    if (!firing) {
      res.json({ ping: 'pong' });
      return;
    }
    res.status(202).json({ firing });
  });
  return api.router;
}
