// @vitest-environment happy-dom
import type { LogLine } from '@deploybot/shared';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
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

  it('says so when there are no lines', () => {
    render(<LogViewer lines={[]} label="log" />);
    expect(screen.getByText('No log lines yet.')).toBeTruthy();
  });
});
