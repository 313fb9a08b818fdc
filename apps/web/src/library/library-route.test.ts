import { describe, expect, it } from 'vitest';
import { pathOf, routeOf } from '../lib/router';
import { formatOf, nameIn, renamed } from './import-file';

describe('library addresses', () => {
  it('reads the list, a workflow, its editor and a new workflow from the path, and writes them back', () => {
    const cases: [string, ReturnType<typeof routeOf>][] = [
      ['/workflows', { view: 'library', name: null, edit: false }],
      ['/workflows/release_app', { view: 'library', name: 'release_app', edit: false }],
      ['/workflows/release_app/edit', { view: 'library', name: 'release_app', edit: true }],
      ['/workflows/new-workflow', { view: 'library', name: null, edit: true }],
    ];
    for (const [path, route] of cases) {
      expect(routeOf(path)).toEqual(route);
      expect(pathOf(route)).toBe(path);
    }
    // `new` is a name like any other: the new-workflow page has a hyphen no name can hold.
    expect(routeOf('/workflows/new')).toEqual({ view: 'library', name: 'new', edit: false });
    expect(routeOf('/workflows/Bad-Name')).toEqual({ view: 'chat', sessionId: null });
  });
});

describe('import files', () => {
  it('knows YAML and JSON by extension, reads the name, and renames without touching the rest', () => {
    expect(formatOf('a.YAML')).toBe('yaml');
    expect(formatOf('a.yml')).toBe('yaml');
    expect(formatOf('a.json')).toBe('json');
    expect(formatOf('a.txt')).toBeNull();
    const yaml = {
      fileName: 'x.yaml',
      format: 'yaml' as const,
      text: 'name: first # the name\ntitle: T\nsteps: []\n',
    };
    expect(nameIn(yaml)).toBe('first');
    expect(renamed(yaml, 'second')).toBe('name: second\ntitle: T\nsteps: []\n');
    const json = { fileName: 'x.json', format: 'json' as const, text: '{"name":"first","title":"T"}' };
    expect(nameIn(json)).toBe('first');
    expect(JSON.parse(renamed(json, 'second'))).toEqual({ name: 'second', title: 'T' });
  });
});
