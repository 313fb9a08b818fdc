import { describe, expect, it } from 'vitest';
import { recognizeDecision } from './approval-intent';

describe('recognizeDecision (the server reads a person’s decision)', () => {
  it.each([
    ['approve', true, null],
    ['Approve.', true, null],
    ['yes, approve', true, null],
    ['approved', true, null],
    ['I approve this step', true, null],
    ['please approve', true, null],
    ['approve: looks good', true, 'looks good'],
    ['approve — ship it', true, 'ship it'],
    ['reject', false, null],
    ['Rejected', false, null],
    ['no, reject it because the sha is wrong', false, 'the sha is wrong'],
    ['nope, reject: wrong environment', false, 'wrong environment'],
  ])('"%s" is a decision', (text, approved, note) => {
    expect(recognizeDecision(text)).toEqual({ approved, note });
  });

  it.each([
    'yes',
    'ok',
    'go ahead',
    'sure',
    'approve?',
    'should I approve',
    'can you approve it',
    "don't approve",
    'do not approve',
    'not approved',
    'approve and deploy the backend',
    'approve it and then reject',
    'approve: and then deploy',
    'I would approve if the tests pass?',
    'approve\nreject',
    '',
  ])('"%s" is not', (text) => {
    expect(recognizeDecision(text)).toBeNull();
  });
});
