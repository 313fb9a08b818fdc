import type { ApiClient, ApiResponse } from './http-client';
import { WORKFLOWS as W } from './http-client';

/** Runs in every state a request could find. */
export interface RunsUnderTest {
  /** Waiting at the `review` gate of `gated_change` (its approval needs a colour). */
  gate: string;
  /** Waiting at the `pick_host` input step of `ask_host` (a host name). */
  input: string;
  /** Busy in the slow step of `slow_step`. */
  busy: string;
  /** A completed `auto_chain`. */
  done: string;
}

export interface BadRequestCase {
  name: string;
  send: (ctx: { api: ApiClient; runs: RunsUnderTest }) => Promise<ApiResponse>;
  status: number;
  code: string;
  /** The field `error.details` must name. */
  field?: string;
  message?: RegExp;
}

export const MISSING_RUN = '6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11';
const big = 'x'.repeat(150 * 1024);

/** Requests the API must refuse with the one error shape, changing nothing. */
export const BAD_REQUESTS: BadRequestCase[] = [
  // start
  {
    name: 'unknown workflow',
    send: ({ api }) => api.post(`${W}/start?workflow_name=no_such_flow`, {}),
    status: 404,
    code: 'not_found',
    message: /no_such_flow/,
  },
  {
    name: 'start without workflow_name',
    send: ({ api }) => api.post(`${W}/start`, {}),
    status: 400,
    code: 'validation_failed',
    field: 'query.workflow_name',
  },
  {
    name: 'start with a malformed workflow_name',
    send: ({ api }) => api.post(`${W}/start?workflow_name=Bad-Name`, {}),
    status: 400,
    code: 'validation_failed',
    field: 'query.workflow_name',
  },
  {
    name: 'start with workflow_name given twice',
    send: ({ api }) => api.post(`${W}/start?workflow_name=auto_chain&workflow_name=ask_host`, { who: 'x' }),
    status: 400,
    code: 'validation_failed',
    field: 'query.workflow_name',
  },
  {
    name: 'start missing a required input',
    send: ({ api }) => api.post(`${W}/start?workflow_name=auto_chain`, {}),
    status: 400,
    code: 'validation_failed',
    field: 'who',
  },
  {
    name: 'start with an input of the wrong type',
    send: ({ api }) => api.post(`${W}/start?workflow_name=auto_chain`, { who: 'x', count: 'many' }),
    status: 400,
    code: 'validation_failed',
    field: 'count',
  },
  {
    name: 'start with an input that is not text',
    send: ({ api }) => api.post(`${W}/start?workflow_name=auto_chain`, { who: { $ne: 1 } }),
    status: 400,
    code: 'validation_failed',
    field: 'who',
  },
  {
    name: 'start with an unknown input',
    send: ({ api }) => api.post(`${W}/start?workflow_name=auto_chain`, { who: 'x', force: true }),
    status: 400,
    code: 'validation_failed',
    field: 'force',
  },
  {
    name: 'start with a __proto__ input (refused like any unknown field, not dropped)',
    send: ({ api }) =>
      api.post(`${W}/start?workflow_name=auto_chain`, undefined, {
        raw: '{"who":"x","__proto__":{"polluted":true}}',
      }),
    status: 400,
    code: 'validation_failed',
    field: '__proto__',
  },
  {
    name: 'start of a workflow named like an Object.prototype member',
    send: ({ api }) => api.post(`${W}/start?workflow_name=constructor`, {}),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'start of a built-in with a bad hostname',
    send: ({ api }) => api.post(`${W}/start?workflow_name=register_agent`, { hostname: 'bad host!' }),
    status: 400,
    code: 'validation_failed',
    field: 'hostname',
  },
  {
    name: 'start with a JSON array body',
    send: ({ api }) => api.post(`${W}/start?workflow_name=two_gates`, [1]),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'start with malformed JSON',
    send: ({ api }) => api.post(`${W}/start?workflow_name=two_gates`, undefined, { raw: '{"who": "x",' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'start with a huge body',
    send: ({ api }) => api.post(`${W}/start?workflow_name=auto_chain`, { who: big }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'start with a body that is not JSON (its context must not be silently dropped)',
    send: ({ api }) =>
      api.post(`${W}/start?workflow_name=troubleshoot_failure`, undefined, {
        raw: '{"job_id":"6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11"}',
        headers: { 'content-type': 'text/plain' },
      }),
    status: 415,
    code: 'bad_request',
  },
  // reading
  {
    name: 'GET of an unknown run',
    send: ({ api }) => api.get(`${W}/${MISSING_RUN}`),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'GET of a malformed run id',
    send: ({ api }) => api.get(`${W}/not-a-uuid`),
    status: 400,
    code: 'validation_failed',
    field: 'params',
  },
  {
    name: 'events of an unknown run',
    send: ({ api }) => api.get(`${W}/${MISSING_RUN}/events`),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'events after a negative seq',
    send: ({ api, runs }) => api.get(`${W}/${runs.done}/events?after=-1`),
    status: 400,
    code: 'validation_failed',
    field: 'query.after',
  },
  {
    name: 'events after a non-number',
    send: ({ api, runs }) => api.get(`${W}/${runs.done}/events?after=abc`),
    status: 400,
    code: 'validation_failed',
    field: 'query.after',
  },
  {
    name: 'events with after given twice',
    send: ({ api, runs }) => api.get(`${W}/${runs.done}/events?after=1&after=2`),
    status: 400,
    code: 'validation_failed',
    field: 'query.after',
  },
  {
    name: 'list with an unknown state',
    send: ({ api }) => api.get(`${W}?state=bogus`),
    status: 400,
    code: 'validation_failed',
    field: 'query.state',
  },
  {
    name: 'list with state given twice',
    send: ({ api }) => api.get(`${W}?state=active&state=past`),
    status: 400,
    code: 'validation_failed',
    field: 'query.state',
  },
  {
    name: 'list with limit given twice',
    send: ({ api }) => api.get(`${W}?limit=1&limit=2`),
    status: 400,
    code: 'validation_failed',
    field: 'query.limit',
  },
  {
    name: 'list with limit 0',
    send: ({ api }) => api.get(`${W}?limit=0`),
    status: 400,
    code: 'validation_failed',
    field: 'query.limit',
  },
  {
    name: 'list with limit 501',
    send: ({ api }) => api.get(`${W}?limit=501`),
    status: 400,
    code: 'validation_failed',
    field: 'query.limit',
  },
  {
    name: 'list with a malformed name',
    send: ({ api }) => api.get(`${W}?name=Bad!`),
    status: 400,
    code: 'validation_failed',
    field: 'query.name',
  },
  // approve
  {
    name: 'approve with malformed JSON',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, undefined, { raw: '{"approved": tru' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'approve with a JSON scalar body',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, undefined, { raw: 'true' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'approve with a JSON array body',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, [true]),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'approve with no body',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    name: 'approve missing approved',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { user_input: 'blue' }),
    status: 400,
    code: 'validation_failed',
    field: 'approved',
  },
  {
    name: 'approve with approved as a string',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { approved: 'yes', user_input: 'blue' }),
    status: 400,
    code: 'validation_failed',
    field: 'approved',
  },
  {
    name: 'approve with approved as a number',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { approved: 1, user_input: 'blue' }),
    status: 400,
    code: 'validation_failed',
    field: 'approved',
  },
  {
    name: 'approve with a note that is not text',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', note: 42 }),
    status: 400,
    code: 'validation_failed',
    field: 'note',
  },
  {
    name: 'approve with a note too long',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', note: 'n'.repeat(2001) }),
    status: 400,
    code: 'validation_failed',
    field: 'note',
  },
  {
    name: 'approve with step_id not text',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', step_id: 7 }),
    status: 400,
    code: 'validation_failed',
    field: 'step_id',
  },
  {
    name: 'approve with an extra field',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', force: true }),
    status: 400,
    code: 'validation_failed',
    field: 'force',
  },
  {
    name: 'approve with a choice not offered',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'purple' }),
    status: 400,
    code: 'validation_failed',
    field: 'user_input',
    message: /Colour must be one of: blue, green/,
  },
  {
    name: 'approve without the required input',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { approved: true }),
    status: 400,
    code: 'validation_failed',
    field: 'user_input',
    message: /Colour is required/,
  },
  {
    name: 'approve with an input of the wrong type',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: ['blue'] }),
    status: 400,
    code: 'validation_failed',
    field: 'user_input',
  },
  {
    name: 'approve naming a step that is not waiting',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', step_id: 'finish' }),
    status: 409,
    code: 'conflict',
    message: /"review" is/,
  },
  {
    name: 'approve naming a finished step',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', step_id: 'prepare' }),
    status: 409,
    code: 'conflict',
  },
  {
    name: 'reject naming a step that is not waiting',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/approve`, { approved: false, step_id: 'finish' }),
    status: 409,
    code: 'conflict',
  },
  {
    name: 'approve a run busy in a step',
    send: ({ api, runs }) => api.post(`${W}/${runs.busy}/approve`, { approved: true }),
    status: 409,
    code: 'conflict',
    message: /no step is waiting/,
  },
  {
    name: 'approve a finished run',
    send: ({ api, runs }) => api.post(`${W}/${runs.done}/approve`, { approved: true }),
    status: 409,
    code: 'conflict',
  },
  {
    name: 'approve a run waiting for input',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/approve`, { approved: true }),
    status: 409,
    code: 'conflict',
    message: /waiting for an input value/,
  },
  {
    name: 'reject a run waiting for input',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/approve`, { approved: false }),
    status: 409,
    code: 'conflict',
  },
  {
    name: 'approve an unknown run',
    send: ({ api }) => api.post(`${W}/${MISSING_RUN}/approve`, { approved: true }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'approve a malformed run id',
    send: ({ api }) => api.post(`${W}/12345/approve`, { approved: true }),
    status: 400,
    code: 'validation_failed',
    field: 'params',
  },
  {
    name: 'approve with a huge body',
    send: ({ api, runs }) =>
      api.post(`${W}/${runs.gate}/approve`, { approved: true, user_input: 'blue', note: big }),
    status: 413,
    code: 'payload_too_large',
  },
  // input
  {
    name: 'input of the wrong type',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/input`, { value: 42 }),
    status: 400,
    code: 'validation_failed',
    field: 'value',
    message: /Target host must be a string/,
  },
  {
    name: 'input that is not a host name',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/input`, { value: 'not a host!' }),
    status: 400,
    code: 'validation_failed',
    field: 'value',
    message: /RFC 1123/,
  },
  {
    name: 'input without a value',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/input`, {}),
    status: 400,
    code: 'validation_failed',
    field: 'value',
  },
  {
    name: 'input with an extra field',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/input`, { value: 'web-01', approved: true }),
    status: 400,
    code: 'validation_failed',
    field: 'approved',
  },
  {
    name: 'input with malformed JSON',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/input`, undefined, { raw: '{value:1}' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'input naming another step',
    send: ({ api, runs }) => api.post(`${W}/${runs.input}/input`, { value: 'web-01', step_id: 'use_host' }),
    status: 409,
    code: 'conflict',
  },
  {
    name: 'input to a run waiting for approval',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/input`, { value: 'blue' }),
    status: 409,
    code: 'conflict',
    message: /waiting for an approval/,
  },
  {
    name: 'input to a run busy in a step',
    send: ({ api, runs }) => api.post(`${W}/${runs.busy}/input`, { value: 'web-01' }),
    status: 409,
    code: 'conflict',
  },
  {
    name: 'input to an unknown run',
    send: ({ api }) => api.post(`${W}/${MISSING_RUN}/input`, { value: 'web-01' }),
    status: 404,
    code: 'not_found',
  },
  // cancel
  {
    name: 'cancel of a finished run',
    send: ({ api, runs }) => api.post(`${W}/${runs.done}/cancel`, {}),
    status: 409,
    code: 'conflict',
    message: /already completed/,
  },
  {
    name: 'cancel with an extra field',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/cancel`, { reason: 'x', force: true }),
    status: 400,
    code: 'validation_failed',
    field: 'force',
  },
  {
    name: 'cancel with a reason that is not text',
    send: ({ api, runs }) => api.post(`${W}/${runs.busy}/cancel`, { reason: 5 }),
    status: 400,
    code: 'validation_failed',
    field: 'reason',
  },
  {
    name: 'cancel with malformed JSON',
    send: ({ api, runs }) => api.post(`${W}/${runs.busy}/cancel`, undefined, { raw: '{"reason":' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'cancel of an unknown run',
    send: ({ api }) => api.post(`${W}/${MISSING_RUN}/cancel`, {}),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'cancel of a malformed run id',
    send: ({ api }) => api.post(`${W}/..%2F..%2Fetc/cancel`, {}),
    status: 400,
    code: 'validation_failed',
    field: 'params',
  },
  // routes
  { name: 'unknown /v1 route', send: ({ api }) => api.get('/v1/nope'), status: 404, code: 'not_found' },
  {
    name: 'unknown action on a run',
    send: ({ api, runs }) => api.post(`${W}/${runs.gate}/force-approve`, { approved: true }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'unsupported method on a run',
    send: ({ api, runs }) => api.request('DELETE', `${W}/${runs.gate}`),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'GET on an action route',
    send: ({ api, runs }) => api.get(`${W}/${runs.gate}/approve`),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'unknown route outside /v1',
    send: ({ api }) => api.get('/nowhere'),
    status: 404,
    code: 'not_found',
  },
];
