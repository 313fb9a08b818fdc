// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import VersionDiff, { diffRows } from './version-diff';

const V1 = 'name: notes\ntitle: Notes\nsteps:\n  - id: a\n';
const V2 = 'name: notes\ntitle: Release notes\nsteps:\n  - id: a\n  - id: b\n';

describe('version diff', () => {
  afterEach(cleanup);

  it('keeps every line once, with its number in each version', () => {
    expect(diffRows(V1, V2)).toEqual([
      { kind: 'same', text: 'name: notes', oldLine: 1, newLine: 1 },
      { kind: 'removed', text: 'title: Notes', oldLine: 2, newLine: null },
      { kind: 'added', text: 'title: Release notes', oldLine: null, newLine: 2 },
      { kind: 'same', text: 'steps:', oldLine: 3, newLine: 3 },
      { kind: 'same', text: '  - id: a', oldLine: 4, newLine: 4 },
      { kind: 'added', text: '  - id: b', oldLine: null, newLine: 5 },
    ]);
  });

  it('says what changed in words, not colour only', () => {
    render(<VersionDiff older={V1} newer={V2} label="v1 → v2" />);
    expect(screen.getByText('v1 → v2: 2 lines added, 1 removed', { exact: false })).toBeTruthy();
    const removed = document.querySelector('[data-diff="removed"]');
    expect(removed?.textContent).toContain('removed: title: Notes');
    expect(removed?.textContent).toContain('−');
  });
});
