// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';

const apiMock = vi.hoisted(() => vi.fn());
vi.mock('../lib/api', async (importOriginal) => ({ ...(await importOriginal<object>()), api: apiMock }));
vi.mock('../lib/realtime', () => ({ followRun: vi.fn(), followJob: vi.fn(), followChat: vi.fn() }));

const { decide, startWorkflow, submitInput } = await import('./workflow-actions');

const waiting = makeRun({
  status: 'waiting',
  seq: 4,
  steps: [makeStep({ id: 'select_agent', kind: 'gate', needsApproval: true, status: 'awaiting_approval' })],
});
const stepStatus = () => appStore.getState().runs[waiting.id]?.steps[0]?.status;

describe('workflow actions never show a decision before the server confirms it', () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ runs: { [waiting.id]: waiting } });
    apiMock.mockReset();
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps the step waiting while the approval is in flight, and sends step_id', async () => {
    let answer: (run: unknown) => void = () => {};
    apiMock.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    const done = decide(waiting.id, 'select_agent', true, { note: ' ok ', input: 'demo-agent' });

    expect(appStore.getState().pending[waiting.id]).toEqual({ stepId: 'select_agent', kind: 'approve' });
    expect(stepStatus()).toBe('awaiting_approval');
    expect(apiMock).toHaveBeenCalledWith('POST', `/v1/ai/workflows/${waiting.id}/approve`, {
      approved: true,
      step_id: 'select_agent',
      note: 'ok',
      user_input: 'demo-agent',
    });

    const confirmed = makeRun({
      ...waiting,
      seq: 5,
      status: 'running',
      steps: [{ ...waiting.steps[0]!, status: 'completed' }],
    });
    answer(confirmed);
    await done;
    expect(stepStatus()).toBe('completed');
    expect(appStore.getState().pending[waiting.id]).toBeUndefined();
  });

  it('leaves the step waiting and shows the error when the request fails (e.g. a dropped connection)', async () => {
    apiMock.mockRejectedValue(new ApiError(0, 'unavailable', 'the controller cannot be reached'));
    expect(await decide(waiting.id, 'select_agent', false, { note: 'no' })).toBe(false);
    expect(stepStatus()).toBe('awaiting_approval');
    expect(appStore.getState().actionErrors[waiting.id]).toContain('cannot be reached');
    // The refusal is about that gate: with several gates waiting, only its panel shows it.
    expect(appStore.getState().actionErrorSteps[waiting.id]).toBe('select_agent');
    expect(appStore.getState().pending[waiting.id]).toBeUndefined();
  });

  it('does not let an older answer overwrite a newer live state', async () => {
    apiMock.mockResolvedValue({ ...waiting, seq: 3 });
    await submitInput(waiting.id, 'select_agent', 'x');
    expect(appStore.getState().runs[waiting.id]?.seq).toBe(4);
  });

  it('maps a validation_failed answer to the fields', async () => {
    apiMock.mockRejectedValue(
      new ApiError(400, 'validation_failed', 'invalid context', [
        { path: 'hostname', message: 'Host name is taken' },
      ]),
    );
    const res = await startWorkflow('register_agent', { hostname: 'web-01' });
    expect(res).toEqual({
      ok: false,
      message: 'invalid context',
      fields: { hostname: 'Host name is taken' },
    });
  });
});
