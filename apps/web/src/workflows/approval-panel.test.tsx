// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';
import { ApprovalPanel } from './approval-panel';

// The socket is not under test; the request goes through the real api client to a recorded fetch.
vi.mock('../lib/realtime', () => ({ followRun: vi.fn(), followJob: vi.fn(), followChat: vi.fn() }));

const step = makeStep({
  id: 'select_agent',
  title: 'Select target agent',
  kind: 'gate',
  needsApproval: true,
  status: 'awaiting_approval',
  plan: { summary: 'Deploy to web-01', data: null },
});
const run = makeRun({ status: 'waiting', steps: [step], currentStep: step.id });
const sent: { url: string; body: unknown }[] = [];

const slow = { timeout: 30_000 };

describe('ApprovalPanel: Reject asks why', { timeout: 60_000 }, () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ runs: { [run.id]: run } });
    sent.length = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        sent.push({ url, body: JSON.parse(String(init.body)) });
        return new Response(JSON.stringify({ ...run, seq: 2 }), { status: 200 });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('does not look like Approve: solid green Approve, outlined red Reject…', () => {
    render(<ApprovalPanel run={run} step={step} canApprove />);
    const approve = screen.getByTestId('approve-button');
    const reject = screen.getByTestId('reject-button');
    expect(approve.className).toMatch(/bg-green-700/);
    expect(reject.className).not.toMatch(/bg-green|bg-red-700/);
    expect(reject.className).toMatch(/border-red/);
    expect(reject.textContent).toBe('Reject… Select target agent');
    expect(reject.querySelector('.sr-only')?.textContent).toBe(' Select target agent');
  });

  it('opens a required reason instead of rejecting at once, and refuses an empty one', () => {
    render(<ApprovalPanel run={run} step={step} canApprove />);
    fireEvent.click(screen.getByTestId('reject-button'));
    expect(sent).toEqual([]);
    const reason = screen.getByTestId('reject-reason');
    expect(document.activeElement).toBe(reason);
    expect(reason.getAttribute('aria-required')).toBe('true');
    expect(screen.getByText('Why reject “Select target agent”?', { exact: false })).toBeTruthy();
    fireEvent.change(reason, { target: { value: '   ' } });
    fireEvent.click(screen.getByTestId('confirm-reject'));
    expect(screen.getByTestId('reject-reason-error').textContent).toMatch(/Say why/);
    expect(reason.getAttribute('aria-invalid')).toBe('true');
    expect(sent).toEqual([]);
  });

  it('sends the reason as the decision note', async () => {
    render(<ApprovalPanel run={run} step={step} canApprove />);
    fireEvent.change(screen.getByTestId('approval-note'), { target: { value: 'not now' } });
    fireEvent.click(screen.getByTestId('reject-button'));
    const reason = screen.getByTestId('reject-reason') as HTMLTextAreaElement;
    expect(reason.value).toBe('not now'); // what was typed as a note carries over
    fireEvent.change(reason, { target: { value: 'not during the freeze ' } });
    fireEvent.click(screen.getByTestId('confirm-reject'));
    await waitFor(() => expect(sent).toHaveLength(1), slow);
    expect(sent[0]).toEqual({
      url: `/v1/ai/workflows/${run.id}/approve`,
      body: { approved: false, step_id: 'select_agent', note: 'not during the freeze' },
    });
  });

  it('Esc and Back return to Approve without deciding; Approve still sends at once', async () => {
    render(<ApprovalPanel run={run} step={step} canApprove />);
    fireEvent.click(screen.getByTestId('reject-button'));
    fireEvent.keyDown(screen.getByTestId('reject-reason'), { key: 'Escape' });
    expect(screen.queryByTestId('reject-form')).toBeNull();
    fireEvent.click(screen.getByTestId('reject-button'));
    fireEvent.click(screen.getByTestId('reject-back'));
    expect(screen.queryByTestId('reject-form')).toBeNull();
    expect(sent).toEqual([]);
    fireEvent.click(screen.getByTestId('approve-button'));
    await waitFor(() => expect(sent).toHaveLength(1), slow);
    expect(sent[0]?.body).toEqual({ approved: true, step_id: 'select_agent' });
  });

  it('a viewer cannot open the reject form', () => {
    render(<ApprovalPanel run={run} step={step} canApprove={false} />);
    expect((screen.getByTestId('reject-button') as HTMLButtonElement).disabled).toBe(true);
  });
});
