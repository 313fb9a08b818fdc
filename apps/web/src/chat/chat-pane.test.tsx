// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';

const actions = vi.hoisted(() => ({
  sendMessage: vi.fn(async () => true),
  stopReply: vi.fn(async () => {}),
}));
vi.mock('./chat-actions', () => actions);
vi.mock('../lib/realtime', () => ({ followRun: vi.fn(), followJob: vi.fn(), followChat: vi.fn() }));
const { ChatPane } = await import('./chat-pane');

const admin = {
  user: { id: 'u', username: 'ann', role: 'admin' as const, createdAt: '', disabled: false },
  csrfToken: 't',
};
const ready = {
  state: 'ready' as const,
  status: { provider: 'local' as const, model: null, fallback: null, ready: true, reason: null },
};

describe('ChatPane', () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ session: admin, authStatus: 'signed-in' });
    actions.sendMessage.mockClear();
    actions.stopReply.mockClear();
  });
  afterEach(cleanup);

  it('says the assistant is not configured and disables the composer (it never pretends to answer)', () => {
    appStore.setState({ aiStatus: { state: 'unconfigured' } });
    render(<ChatPane />);
    expect(screen.getByTestId('assistant-notice').textContent).toMatch(/not configured on this server/);
    expect((screen.getByTestId('composer') as HTMLTextAreaElement).disabled).toBe(true);
  });

  it('Enter sends, Shift+Enter does not', () => {
    appStore.setState({ aiStatus: ready });
    render(<ChatPane />);
    const composer = screen.getByTestId('composer');
    fireEvent.change(composer, { target: { value: 'hello' } });
    fireEvent.keyDown(composer, { key: 'Enter', shiftKey: true });
    expect(actions.sendMessage).not.toHaveBeenCalled();
    fireEvent.keyDown(composer, { key: 'Enter' });
    expect(actions.sendMessage).toHaveBeenCalledWith('hello');
  });

  it('shows Stop while a reply streams; Esc and Stop ask the server to stop it', () => {
    appStore.setState({ aiStatus: ready, activeSessionId: 's1', streamingReply: { s1: 'm1' } });
    render(<ChatPane />);
    fireEvent.keyDown(screen.getByTestId('composer'), { key: 'Escape' });
    fireEvent.click(screen.getByTestId('stop-button'));
    expect(actions.stopReply).toHaveBeenCalledTimes(2);
    // The reply is shown stopped only when the server's final message says so.
    act(() => appStore.setState({ streamingReply: { s1: undefined } }));
    expect(screen.getByTestId('send-button')).toBeTruthy();
  });

  it('renders the provider name', () => {
    appStore.setState({ aiStatus: ready });
    render(<ChatPane />);
    expect(screen.getByTestId('ai-provider').textContent).toBe('Assistant: local');
  });
});
