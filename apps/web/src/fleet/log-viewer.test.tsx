// @vitest-environment happy-dom
import type { LogLine } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogViewer } from './log-viewer';

const lines = (n: number): LogLine[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i,
    stream: 'stdout',
    line: `line ${i}`,
    at: '2026-01-01T00:00:00Z',
  }));

const stepped: LogLine[] = [
  { seq: 0, stream: 'system', line: 'deploybot.yml: 2 step(s)', at: '2026-01-01T10:00:00.000Z' },
  { seq: 1, stream: 'system', line: '$ step build', at: '2026-01-01T10:00:01.000Z' },
  { seq: 2, stream: 'stdout', line: '\u001b[32mbuilt ok\u001b[0m plain', at: '2026-01-01T10:00:02.000Z' },
  { seq: 3, stream: 'system', line: 'exit code 0 after 2.5s', at: '2026-01-01T10:00:03.500Z' },
  { seq: 4, stream: 'system', line: '$ step test', at: '2026-01-01T10:00:03.500Z' },
  { seq: 5, stream: 'stderr', line: '\u001b[1;31mtest failed\u001b[0m', at: '2026-01-01T10:00:04.000Z' },
  { seq: 6, stream: 'system', line: 'exit code 1 after 0.7s', at: '2026-01-01T10:00:04.200Z' },
];

const text = (el: HTMLElement) => within(el).getByTestId('log-line-text').textContent;

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
    expect(text(screen.getByTestId('log-line'))).toBe(hostile);
    expect(screen.getByTestId('log-viewer').querySelector('a, img, strong')).toBeNull();
  });

  it('says so when there are no lines', () => {
    render(<LogViewer lines={[]} label="log" />);
    expect(screen.getByText('No log lines yet.')).toBeTruthy();
  });

  it('groups lines under each step with its outcome and duration, numbered and timed', () => {
    render(<LogViewer lines={stepped} label="log" height={600} />);
    const groups = screen.getAllByTestId('log-group');
    expect(groups.map((g) => [g.getAttribute('data-step'), g.getAttribute('data-outcome')])).toEqual([
      [null, null],
      ['build', 'success'],
      ['test', 'failure'],
    ]);
    expect(within(groups[1]!).getByTestId('log-group-duration').textContent).toBe('2.5 s');
    expect(within(groups[2]!).getByTestId('log-group-duration').textContent).toBe('700 ms');
    const first = screen.getAllByTestId('log-line')[0]!;
    expect(within(first).getByTestId('log-line-number').textContent).toBe('1');
    expect(within(first).getByTestId('log-line-time').getAttribute('datetime')).toBe(stepped[0]!.at);
  });

  it('renders ANSI colours as styled text, without the escape codes', () => {
    render(<LogViewer lines={stepped} label="log" height={600} />);
    const built = screen.getAllByTestId('log-line').find((l) => l.getAttribute('data-seq') === '2')!;
    expect(text(built)).toBe('built ok plain');
    const green = built.querySelector('[data-ansi]') as HTMLElement;
    expect(green.textContent).toBe('built ok');
    expect(green.style.color).not.toBe('');
    const failed = screen.getAllByTestId('log-line').find((l) => l.getAttribute('data-seq') === '5')!;
    const red = failed.querySelector('[data-ansi]') as HTMLElement;
    expect(red.style.fontWeight).toBe('600');
    expect(red.style.color).not.toBe(green.style.color);
  });

  it('folds a step away and back', () => {
    render(<LogViewer lines={stepped} label="log" height={600} />);
    expect(screen.getAllByTestId('log-line')).toHaveLength(7);
    const build = screen.getAllByTestId('log-group')[1]!;
    fireEvent.click(build);
    expect(build.getAttribute('aria-expanded')).toBe('false');
    expect(screen.getAllByTestId('log-line')).toHaveLength(4);
    fireEvent.click(screen.getAllByTestId('log-group')[1]!);
    expect(screen.getAllByTestId('log-line')).toHaveLength(7);
  });

  it('searches the text without its colours and shows only the matching lines', () => {
    render(<LogViewer lines={stepped} label="log" height={600} />);
    fireEvent.change(screen.getByTestId('log-search'), { target: { value: 'TEST FAILED' } });
    const shown = screen.getAllByTestId('log-line');
    expect(shown.map((l) => l.getAttribute('data-seq'))).toEqual(['5']);
    expect(screen.getByTestId('log-match-count').textContent).toBe('1 matching line');
    expect(screen.getAllByTestId('log-group').map((g) => g.getAttribute('data-step'))).toEqual(['test']);
    fireEvent.change(screen.getByTestId('log-search'), { target: { value: 'nowhere' } });
    expect(screen.queryAllByTestId('log-line')).toHaveLength(0);
    expect(screen.getByText('No line matches “nowhere”.')).toBeTruthy();
  });

  it('offers a download when given one, and follows unless unticked', () => {
    const download = vi.fn(() => Promise.resolve());
    render(<LogViewer lines={stepped} label="log" download={download} />);
    fireEvent.click(screen.getByTestId('log-download'));
    expect(download).toHaveBeenCalledTimes(1);
    const follow = screen.getByTestId('log-follow') as HTMLInputElement;
    expect(follow.checked).toBe(true);
    fireEvent.click(follow);
    expect(follow.checked).toBe(false);
    expect(screen.getByText('Follow log ↓')).toBeTruthy();
  });
});
