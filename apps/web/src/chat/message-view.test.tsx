// @vitest-environment happy-dom
import type { ChatMessageDto } from '@deploybot/shared';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';
import { MessageView } from './message-view';

// The socket is not under test; decisions go through the real api client to a recorded fetch.
vi.mock('../lib/realtime', () => ({
  followRun: vi.fn(),
  followJob: vi.fn(),
  followChat: vi.fn(),
  liveSocket: vi.fn(() => null),
}));

const admin = {
  user: { id: 'u', username: 'ann', role: 'admin' as const, createdAt: '', disabled: false },
  csrfToken: 't',
};
const step = makeStep({ id: 'select_agent', title: 'Select target agent', status: 'awaiting_approval' });
const run = makeRun({ status: 'waiting', steps: [step] });

function message(overrides: Partial<ChatMessageDto>): ChatMessageDto {
  return {
    id: 'm1',
    sessionId: 's1',
    role: 'assistant',
    content: 'hello',
    status: 'complete',
    createdAt: '2026-01-01T10:00:00.000Z',
    quickActions: [],
    workflowCards: [],
    toolCalls: [],
    runId: null,
    ...overrides,
  };
}

const gate = message({
  runId: run.id,
  narration: true,
  content:
    '**Step 1/4: Select target agent** — `web-01`\n\n**[APPROVAL NEEDED]** Approve “Select target agent”?',
  quickActions: [
    { kind: 'approve', label: 'Approve', runId: run.id, stepId: 'select_agent' },
    { kind: 'reject', label: 'Reject', runId: run.id, stepId: 'select_agent' },
  ],
});

const sent: { url: string; body: unknown }[] = [];

// Waits are for outcomes; on a busy machine the markdown chunk alone can take seconds to load.
const slow = { timeout: 60_000 };

describe('MessageView', { timeout: 90_000 }, () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ session: admin, authStatus: 'signed-in', runs: { [run.id]: run } });
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

  it('shows narration as a status line: no bubble, no "DeployBot" header', async () => {
    render(<MessageView message={gate} latest />);
    const line = screen.getByTestId('chat-message');
    expect(line.dataset.narration).toBe('true');
    expect(line.querySelector('header')).toBeNull();
    expect(line.querySelector('.rounded-2xl')).toBeNull();
    expect(line.getAttribute('aria-label')).toMatch(/^Run update at /);
    await waitFor(
      () => expect(line.querySelector('strong')?.textContent).toBe('Step 1/4: Select target agent'),
      slow,
    );
  });

  it('keeps a reply a bubble with its header', () => {
    render(<MessageView message={message({ content: 'hi' })} latest />);
    const reply = screen.getByTestId('chat-message');
    expect(reply.querySelector('header')?.textContent).toMatch(/DeployBot/);
    expect(reply.dataset.narration).toBeUndefined();
  });

  it('keeps every line break of a person’s message', () => {
    render(
      <MessageView
        message={message({ role: 'user', content: 'deploy\n  demo/hello-app\nat main' })}
        latest
      />,
    );
    const text = screen.getByText(/deploy/);
    expect(text.className).toMatch(/whitespace-pre-wrap/);
    expect(text.textContent).toBe('deploy\n  demo/hello-app\nat main');
  });

  it('puts actions in a menu the keyboard can open, walk and close', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    render(<MessageView message={gate} latest />);
    expect(screen.queryByRole('menu')).toBeNull();
    expect(screen.queryByRole('button', { name: /^Copy/ })).toBeNull(); // no copy button in the way
    const trigger = screen.getByTestId('message-menu-button');
    expect(trigger.getAttribute('aria-haspopup')).toBe('menu');
    fireEvent.keyDown(trigger, { key: 'ArrowDown' });
    const menu = screen.getByRole('menu');
    expect(trigger.getAttribute('aria-expanded')).toBe('true');
    const items = within(menu).getAllByRole('menuitem');
    expect(items.map((i) => i.textContent)).toEqual(['Copy message', 'Open run in the sidebar']);
    await waitFor(() => expect(document.activeElement).toBe(items[0]), slow);
    fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]);
    fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[0]);
    fireEvent.keyDown(menu, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(trigger), slow);

    fireEvent.click(trigger);
    await act(async () => {
      fireEvent.click(within(screen.getByRole('menu')).getByRole('menuitem', { name: 'Copy message' }));
    });
    expect(writeText).toHaveBeenCalledWith(gate.content);
    expect(screen.getByRole('status').textContent).toBe('Copied');
  });

  it('Approve is solid, Reject… is outlined and asks why before deciding; the reason is the note', async () => {
    render(<MessageView message={gate} latest />);
    const actions = within(screen.getByTestId('quick-actions'));
    const approve = actions.getByRole('button', { name: 'Approve' });
    const reject = actions.getByRole('button', { name: 'Reject…' });
    expect(approve.className).toMatch(/bg-green-700/);
    expect(reject.className).not.toMatch(/bg-green/);
    fireEvent.click(reject);
    expect(reject.getAttribute('aria-expanded')).toBe('true');
    expect(sent).toEqual([]);
    expect(screen.getByText('Why reject “Select target agent”?', { exact: false })).toBeTruthy();
    fireEvent.click(screen.getByTestId('confirm-reject'));
    expect(screen.getByTestId('reject-reason-error')).toBeTruthy();
    expect(sent).toEqual([]);
    fireEvent.change(screen.getByTestId('reject-reason'), { target: { value: 'wrong agent' } });
    fireEvent.click(screen.getByTestId('confirm-reject'));
    await waitFor(() => expect(screen.queryByTestId('reject-form')).toBeNull(), slow);
    expect(sent).toEqual([
      {
        url: `/v1/ai/workflows/${run.id}/approve`,
        body: { approved: false, step_id: 'select_agent', note: 'wrong agent' },
      },
    ]);
  });
});
