import { errorBodySchema } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AssistantError } from '../assistant/errors';
import { ToolError } from '../assistant/tools/registry';
import { AuthError } from '../auth/auth.service';
import { EngineError, RunCancelledError, StepTimeoutError } from '../engine/errors';
import { StaleRunError } from '../engine/ports';
import { AgentUnavailableError } from '../fleet/agent-gateway';
import { FleetError } from '../fleet/agents.service';
import { GitRemoteError } from '../fleet/git-remote';
import { HttpError } from '../http/http-error';
import { findUnsafeText, UnsafeTextError } from '../http/safe-text';
import { DeployBotError, isRetryable } from './deploybot-error';
import { toErrorBody } from './to-error-body';

const RUN = '6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11';

describe('toErrorBody: every error class answers with its code, status and message', () => {
  const cases: {
    name: string;
    err: DeployBotError;
    code: string;
    status: number;
    retryable: boolean;
    details?: unknown;
  }[] = [
    {
      name: 'EngineError not_found',
      err: new EngineError('not_found', `no run ${RUN}`),
      code: 'not_found',
      status: 404,
      retryable: false,
    },
    {
      name: 'EngineError conflict with details',
      err: new EngineError('conflict', 'another run holds the key', { activeRunId: RUN }),
      code: 'conflict',
      status: 409,
      retryable: false,
      details: { activeRunId: RUN },
    },
    {
      name: 'EngineError validation_failed',
      err: new EngineError('validation_failed', 'invalid context', [{ path: 'ref', message: 'required' }]),
      code: 'validation_failed',
      status: 400,
      retryable: false,
      details: [{ path: 'ref', message: 'required' }],
    },
    { name: 'StaleRunError', err: new StaleRunError(RUN), code: 'conflict', status: 409, retryable: true },
    {
      name: 'StepTimeoutError',
      err: new StepTimeoutError(2000),
      code: 'unavailable',
      status: 503,
      retryable: true,
    },
    {
      name: 'RunCancelledError',
      err: new RunCancelledError('ada', 'wrong ref'),
      code: 'conflict',
      status: 409,
      retryable: false,
    },
    {
      name: 'FleetError not_found',
      err: new FleetError('not_found', 'no agent web-01'),
      code: 'not_found',
      status: 404,
      retryable: false,
    },
    {
      name: 'FleetError conflict',
      err: new FleetError('conflict', 'web-01 is draining'),
      code: 'conflict',
      status: 409,
      retryable: false,
    },
    {
      name: 'GitRemoteError unreachable',
      err: new GitRemoteError('unreachable', 'cannot reach https://git.example/app.git: timeout'),
      code: 'unavailable',
      status: 503,
      retryable: true,
    },
    {
      name: 'GitRemoteError ref_not_found',
      err: new GitRemoteError('ref_not_found', 'ref "nope" not found'),
      code: 'validation_failed',
      status: 400,
      retryable: false,
    },
    {
      name: 'AgentUnavailableError',
      err: new AgentUnavailableError('the agent is not connected'),
      code: 'conflict',
      status: 409,
      retryable: true,
    },
    {
      name: 'AuthError unauthorized',
      err: new AuthError('unauthorized', 'sign in'),
      code: 'unauthorized',
      status: 401,
      retryable: false,
    },
    {
      name: 'AuthError forbidden',
      err: new AuthError('forbidden', 'needs approver'),
      code: 'forbidden',
      status: 403,
      retryable: false,
    },
    {
      name: 'AssistantError',
      err: new AssistantError('conflict', 'a reply is still being written'),
      code: 'conflict',
      status: 409,
      retryable: false,
    },
    {
      name: 'ToolError (default)',
      err: new ToolError('give a run_id'),
      code: 'bad_request',
      status: 400,
      retryable: false,
    },
    {
      name: 'ToolError not_found',
      err: new ToolError('no agent x', 'not_found'),
      code: 'not_found',
      status: 404,
      retryable: false,
    },
    {
      name: 'HttpError with its own status',
      err: new HttpError(415, 'bad_request', 'request body must be application/json'),
      code: 'bad_request',
      status: 415,
      retryable: false,
    },
    {
      name: 'UnsafeTextError',
      err: new UnsafeTextError(findUnsafeText({ name: 'a\u0000b' }, 'body')!),
      code: 'validation_failed',
      status: 400,
      retryable: false,
      details: [{ path: 'body.name', message: 'body.name contains a NUL byte or an unpaired surrogate' }],
    },
    {
      name: 'rate_limited',
      err: new DeployBotError('rate_limited', 'too many requests; retry in 2 s', {
        details: { retryAfterMs: 1500 },
      }),
      code: 'rate_limited',
      status: 429,
      retryable: true,
      details: { retryAfterMs: 1500 },
    },
  ];

  it.each(cases)('$name → $code, $status', ({ err, code, status, retryable, details }) => {
    expect(err).toBeInstanceOf(DeployBotError);
    expect(err.name).toBe(err.constructor.name);
    expect(err.retryable).toBe(retryable);
    expect(isRetryable(err)).toBe(retryable);
    expect(err.expose).toBe(true);
    const answer = toErrorBody(err);
    expect(answer.status).toBe(status);
    expect(errorBodySchema.parse(answer.body)).toEqual(answer.body);
    expect(answer.body).toEqual({
      error: { code, message: err.message, ...(details !== undefined && { details }) },
    });
    expect(answer.log).toBe(status >= 500);
  });

  it('keeps the constructors callers use (EngineError(code, message, details), GitRemoteError.kind, RunCancelledError.by)', () => {
    const engine = new EngineError('validation_failed', 'bad', ['x']);
    expect([engine.code, engine.message, engine.details]).toEqual(['validation_failed', 'bad', ['x']]);
    expect(new GitRemoteError('ref_not_found', 'no ref').kind).toBe('ref_not_found');
    const cancelled = new RunCancelledError('ada', 'wrong ref');
    expect([cancelled.by, cancelled.reason, cancelled.message]).toEqual([
      'ada',
      'wrong ref',
      'run cancelled',
    ]);
    expect(new StepTimeoutError(1500).message).toBe('step timed out after 1500ms');
    expect(new StaleRunError(RUN).message).toContain(RUN);
  });
});

describe('toErrorBody: what may not be shown is not shown', () => {
  it('an unknown error is `internal` with a generic message, never its own, and asks to be logged', () => {
    const leaky = new Error(
      'connect ECONNREFUSED 10.0.0.5:5432 (user deploybot, password hunter2) at /srv/app/db.ts:12',
    );
    const answer = toErrorBody(leaky);
    expect(answer).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: 'internal error' } },
      log: true,
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|hunter2|db\.ts/);
  });

  it('an error with a code that is not ours (a driver error, a Node system error) is still internal', () => {
    const pg = Object.assign(new Error('duplicate key value violates unique constraint "users_pkey"'), {
      code: '23505',
      status: 409,
    });
    const fs = Object.assign(new Error("ENOENT: no such file or directory, open '/etc/deploybot/key'"), {
      code: 'ENOENT',
    });
    // An HTTP client's error carries a status and a type, but is a fault of ours, not of the request.
    const upstream = Object.assign(new Error('401 Incorrect API key provided: sk-abc'), {
      status: 401,
      type: 'invalid_request_error',
    });
    for (const err of [pg, fs, upstream]) {
      expect(toErrorBody(err).body).toEqual({ error: { code: 'internal', message: 'internal error' } });
      expect(toErrorBody(err).log).toBe(true);
    }
  });

  it('thrown values that are not errors are internal too', () => {
    for (const thrown of ['a string', undefined, null, 42, { message: 'object' }]) {
      expect(toErrorBody(thrown)).toEqual({
        status: 500,
        body: { error: { code: 'internal', message: 'internal error' } },
        log: true,
      });
    }
  });

  it('a DeployBotError that may not show its message answers with its code and a generic message', () => {
    const internal = new DeployBotError('internal', 'invariant broken in run 42: seq 7 after 9', {
      details: { seq: 7 },
    });
    expect(internal.expose).toBe(false);
    expect(toErrorBody(internal)).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: 'internal error' } },
      log: true,
    });
    const hidden = new DeployBotError('conflict', 'held by /var/lib/deploybot/lock', {
      expose: false,
      details: 'x',
    });
    expect(toErrorBody(hidden)).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'conflict' } },
      log: true,
    });
  });
});

describe('toErrorBody: zod errors', () => {
  const schema = z.strictObject({
    runId: z.uuid(),
    approval: z.strictObject({ note: z.string().max(5) }),
  });

  it('are validation_failed with each field at fault in details', () => {
    const parsed = schema.safeParse({ runId: 'nope', approval: { note: 'far too long', extra: 1 } });
    const answer = toErrorBody(parsed.error);
    expect(answer.status).toBe(400);
    expect(answer.log).toBe(false);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details).toEqual([
      { path: 'runId', message: expect.any(String) },
      { path: 'approval.note', message: expect.stringMatching(/5/) },
      { path: 'approval', message: 'unknown field(s): extra' },
    ]);
    expect(answer.body.error.message).toMatch(
      /^invalid payload: runId: .*; approval\.note: .*; approval: unknown field/,
    );
  });

  it('are bounded: a payload with thousands of bad items gets a short answer', () => {
    const parsed = z.array(z.number()).safeParse(Array.from({ length: 5000 }, () => 'x'));
    const { body } = toErrorBody(parsed.error);
    expect(body.error.message.length).toBeLessThanOrEqual(500);
    expect((body.error.details as unknown[]).length).toBe(20);
  });
});

describe('toErrorBody: the body parser', () => {
  // What express.json() passes on (http-errors: status, expose, type).
  const parserError = (type: string, status: number) =>
    Object.assign(new SyntaxError('Unexpected token } in JSON at position 12'), {
      type,
      status,
      expose: true,
    });

  it('maps its refusals to bad_request / payload_too_large without echoing the parser', () => {
    expect(toErrorBody(parserError('entity.parse.failed', 400))).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'malformed JSON body' } },
      log: false,
    });
    expect(toErrorBody(parserError('entity.too.large', 413)).body.error).toEqual({
      code: 'payload_too_large',
      message: 'request body is too large',
    });
    expect(toErrorBody(parserError('encoding.unsupported', 415)).status).toBe(415);
    expect(toErrorBody(parserError('request.aborted', 400)).body.error).toEqual({
      code: 'bad_request',
      message: 'bad request',
    });
  });
});

describe('isRetryable', () => {
  it('is false only for an error that says retryable: false', () => {
    expect(isRetryable(new Error('socket timed out'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('bad params: duration'), { retryable: false }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('flaky'), { retryable: true }))).toBe(true);
    expect(isRetryable(new DeployBotError('conflict', 'agent busy', { retryable: true }))).toBe(true);
    expect(isRetryable(new DeployBotError('internal', 'broke'))).toBe(true);
    expect(isRetryable(new EngineError('validation_failed', 'bad'))).toBe(false);
    expect(isRetryable(new RunCancelledError())).toBe(false);
    expect(isRetryable(new StaleRunError(RUN))).toBe(true);
    for (const thrown of [undefined, null, 'text', 3]) expect(isRetryable(thrown)).toBe(true);
  });
});
