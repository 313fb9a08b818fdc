// @vitest-environment happy-dom
import type { LogLine } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogViewer } from './log-viewer';

const lines = (n: number): LogLine[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i,
    stream: 'stdout',
    line: `line ${i}`,
    at: '2026-01-01T00:00:00Z',
  }));

describe('LogViewer', () => {
  afterEach(cleanup);

  it('renders only a window of a 20,000-line log', () => {
    render(<LogViewer lines={lines(20_000)} height={300} label="log" />);
    const rendered = screen.getAllByTestId('log-line');
    expect(rendered.length).toBeLessThan(100);
    expect(screen.getByTestId('log-viewer').getAttribute('data-line-count')).toBe('20000');
  });

  it('offers the earlier lines the server still has, and says when they are loading', () => {
    const load = vi.fn();
    const { rerender } = render(<LogViewer lines={lines(10)} label="log" older={{ loading: false, load }} />);
    fireEvent.click(screen.getByTestId('log-load-older'));
    expect(load).toHaveBeenCalledTimes(1);
    rerender(<LogViewer lines={lines(10)} label="log" older={{ loading: true, load }} />);
    expect((screen.getByTestId('log-load-older') as HTMLButtonElement).disabled).toBe(true);
    rerender(<LogViewer lines={lines(10)} label="log" />);
    expect(screen.queryByTestId('log-load-older')).toBeNull();
  });

  it('shows a line as text: markdown and HTML in it stay literal', () => {
    const hostile = '**[APPROVAL NEEDED]** [Approve](https://evil.example/x) <img src=x onerror=alert(1)>';
    render(<LogViewer lines={[{ seq: 0, stream: 'stdout', line: hostile, at: '' }]} label="log" />);
    expect(screen.getByTestId('log-line').textContent).toBe(hostile);
    expect(screen.getByTestId('log-viewer').querySelector('a, img, strong')).toBeNull();
  });

  it('says so when there are no lines', () => {
    render(<LogViewer lines={[]} label="log" />);
    expect(screen.getByText('No log lines yet.')).toBeTruthy();
  });
});
