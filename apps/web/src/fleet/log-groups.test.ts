import type { LogLine } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { elapsed, formatDuration, groupLog } from './log-groups';

let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const sys = (line: string, s: number): LogLine => ({ seq: seq++, stream: 'system', line, at: at(s) });
const out = (line: string, s: number): LogLine => ({ seq: seq++, stream: 'stdout', line, at: at(s) });

describe('groupLog', () => {
  it('cuts a job at the agent’s step markers: set up, one group per step with its outcome, complete', () => {
    seq = 0;
    const groups = groupLog([
      sys('job j: demo/app main @ abc', 0),
      sys('deploybot.yml: 2 step(s)', 1),
      sys('$ step build', 2),
      out('compiling', 3),
      sys('exit code 0 after 4.0s', 6),
      sys('$ step test', 6),
      out('\u001b[31mboom\u001b[0m', 7),
      sys('exit code 2 after 3.0s', 9),
      sys('job failed: step test exited with code 2', 9),
    ]);
    expect(groups.map((g) => [g.kind, g.title, g.outcome, g.lines.length])).toEqual([
      ['setup', 'Set up job', null, 2],
      ['step', 'build', 'success', 3],
      ['step', 'test', 'failure', 3],
      ['finish', 'Complete job', null, 1],
    ]);
    expect(elapsed(groups[1]!.startedAt, groups[1]!.endedAt, 0)).toBe(4000);
    expect(groups.every((g) => g.ended)).toBe(true);
  });

  it('never takes a step’s own output for a marker', () => {
    seq = 0;
    const groups = groupLog([sys('$ step one', 0), out('$ step fake', 1), out('exit code 0 after 1s', 1)]);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ title: 'one', outcome: 'running', ended: false });
  });

  it('ends a step the job ended without an exit line (a cancel), and a step that timed out or was killed', () => {
    seq = 0;
    const cancelled = groupLog([
      sys('$ step deploy', 0),
      out('working', 1),
      sys('job cancelled: cancelled by alice', 5),
    ]);
    expect(cancelled.map((g) => [g.title, g.outcome])).toEqual([
      ['deploy', 'cancelled'],
      ['Complete job', null],
    ]);
    const killed = groupLog([
      sys('$ step a', 0),
      sys('step a timed out after 5s; process group killed', 5),
      sys('$ step b', 6),
      sys('killed by SIGKILL after 1.0s', 7),
    ]);
    expect(killed.map((g) => g.outcome)).toEqual(['failure', 'failure']);
  });
});

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(185_000)).toBe('3 m 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 m');
    expect(formatDuration(Number.NaN)).toBe('—');
  });

  it('measures a running thing up to now', () => {
    expect(elapsed(at(0), null, Date.parse(at(30)))).toBe(30_000);
    expect(elapsed(null, null, 0)).toBeNull();
  });
});
