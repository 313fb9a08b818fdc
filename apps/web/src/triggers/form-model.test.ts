import type { InputSpec } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { checkForm, emptyForm, fieldErrorsOf } from './form-model';

const specs: InputSpec[] = [
  { key: 'stuck_after_minutes', label: 'Stuck after (minutes)', type: 'number', required: false },
];

describe('checkForm', () => {
  it('makes the body of POST /v1/triggers, with typed input values and the schema’s defaults', () => {
    const values = {
      ...emptyForm('health_check'),
      name: 'weekday-health',
      expression: '0 8 * * 1-5',
      timezone: 'Europe/Berlin',
      inputs: [
        { id: 1, key: 'stuck_after_minutes', value: '30' },
        { id: 2, key: '', value: '' },
      ],
    };
    expect(checkForm(values, specs)).toEqual({
      errors: null,
      body: {
        name: 'weekday-health',
        workflow: 'health_check',
        inputs: { stuck_after_minutes: 30 },
        enabled: true,
        rate_limit: 10,
        source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', missed: 'skip' },
      },
    });
  });

  it('keeps templates as text and leaves out an empty filter', () => {
    const res = checkForm(
      {
        ...emptyForm('troubleshoot_failure'),
        name: 'on-failure',
        sourceType: 'event',
        on: 'job.failed',
        filter: '  ',
        inputs: [{ id: 1, key: 'job_id', value: '${{ event.job_id }}' }],
      },
      [],
    );
    expect(res.body).toMatchObject({
      inputs: { job_id: '${{ event.job_id }}' },
      source: { type: 'event', on: 'job.failed' },
    });
    expect(res.body?.source).not.toHaveProperty('filter');
  });

  it('names each field at fault with the server’s paths', () => {
    const res = checkForm(
      {
        ...emptyForm(''),
        name: 'Bad Name',
        expression: ' ',
        timezone: 'Mars/Olympus',
        rateLimit: '0',
        inputs: [
          { id: 1, key: 'a', value: '1' },
          { id: 2, key: 'a', value: '2' },
          { id: 3, key: '', value: 'x' },
        ],
      },
      [],
    );
    expect(res.body).toBeNull();
    expect(res.errors).toMatchObject({
      name: expect.stringMatching(/lower-case letters/),
      workflow: 'choose a workflow',
      'source.expression': 'expression is required',
      'source.timezone': expect.stringMatching(/IANA time zone/),
      rate_limit: expect.any(String),
      'inputs.a': 'a is given twice',
      'inputs.#2': 'give the input’s key',
    });
  });

  it('takes a webhook without source fields', () => {
    const res = checkForm({ ...emptyForm('health_check'), name: 'hook', sourceType: 'webhook' }, []);
    expect(res.body?.source).toEqual({ type: 'webhook' });
  });
});

describe('fieldErrorsOf', () => {
  it('keeps the first message for each path', () => {
    expect(
      fieldErrorsOf([
        { path: 'source.expression', message: 'first' },
        { path: 'source.expression', message: 'second' },
        { path: '', message: 'whole body' },
      ]),
    ).toEqual({ 'source.expression': 'first', body: 'whole body' });
  });
});
