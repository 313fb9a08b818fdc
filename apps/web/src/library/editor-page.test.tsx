// @vitest-environment happy-dom
import type { CompileIssueDto, UserDto } from '@deploybot/shared';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { diagnosticsOf, problemText } from './editor-diagnostics';
import EditorPage from './editor-page';
import { ProblemList } from './problem-list';

const ISSUES: CompileIssueDto[] = [
  { path: 'steps[1].uses', message: 'unknown step kind "sett"', line: 7 },
  { path: 'steps[2].needs[0]', message: 'needs names an unknown step "nowhere"', line: 12 },
];

describe('problem display', () => {
  afterEach(cleanup);

  it('lists each compiler problem with its line and path', () => {
    render(<ProblemList issues={ISSUES} />);
    const items = screen.getAllByTestId('editor-problem');
    expect(items.map((li) => li.textContent)).toEqual([
      'line 7: unknown step kind "sett"(steps[1].uses)',
      'line 12: needs names an unknown step "nowhere"(steps[2].needs[0])',
    ]);
    expect(items[0]?.getAttribute('data-line')).toBe('7');
    expect(screen.getByRole('heading', { name: '2 problems' })).toBeTruthy();
    expect(problemText({ path: '', message: 'not YAML' })).toBe('not YAML');
  });

  it('puts a lint diagnostic on the whole line the compiler named', () => {
    const text = 'a: 1\nbb: 2\nccc: 3';
    const [d] = diagnosticsOf(text, [{ path: 'bb', message: 'wrong', line: 2 }]);
    expect(text.slice(d!.from, d!.to)).toBe('bb: 2');
    expect(d).toMatchObject({ severity: 'error', message: 'wrong (at bb)' });
    // No line, or a line past the end of a text edited since: the last line.
    const [far] = diagnosticsOf(text, [{ path: '', message: 'x', line: 99 }]);
    expect(text.slice(far!.from, far!.to)).toBe('ccc: 3');
  });
});

describe('<EditorPage> with a document that does not compile', () => {
  const admin: UserDto = { id: 'u1', username: 'admin', role: 'admin' } as UserDto;
  let fetchMock: ReturnType<typeof vi.fn>;
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  beforeAll(() => {
    // CodeMirror measures text; happy-dom has no layout, so these answer zero sizes.
    document.createRange = () => {
      const range = new Range();
      range.getBoundingClientRect = () => new DOMRect();
      range.getClientRects = () =>
        ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as never;
      return range;
    };
  });
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ session: { user: admin, csrfToken: 't' }, authStatus: 'signed-in' } as never);
    fetchMock = vi.fn(async (path: string) => {
      if (path.endsWith('/step-kinds')) return json(200, { kinds: [] });
      if (path.includes('dry_run=true')) {
        return json(400, {
          error: { code: 'validation_failed', message: 'invalid workflow', details: ISSUES },
        });
      }
      return json(404, { error: { code: 'not_found', message: 'no' } });
    });
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('sends the text to the dry run and shows every problem at its line, in the list and in the editor', async () => {
    render(<EditorPage name={null} />);
    const list = await screen.findByTestId('editor-problems', undefined, { timeout: 3000 });
    expect(within(list).getAllByTestId('editor-problem')[0]?.textContent).toContain(
      'line 7: unknown step kind',
    );
    expect(screen.getByTestId('editor-status').textContent).toMatch(/^2 problems/);
    const dry = fetchMock.mock.calls.find(([p]) => String(p).includes('dry_run=true'));
    const init = dry![1] as RequestInit;
    expect(init.headers).toMatchObject({ 'content-type': 'application/yaml' });
    expect(String(init.body)).toContain('name: my_workflow');
    // The same problems as lint marks in CodeMirror's gutter.
    await waitFor(() => expect(document.querySelectorAll('.cm-lint-marker-error').length).toBeGreaterThan(0));
    expect(screen.getByRole('textbox', { name: 'Workflow YAML' })).toBeTruthy();
  });
});
