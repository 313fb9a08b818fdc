import { lazy, Suspense } from 'react';
import { routeOf } from '../lib/router';
import { LibraryPage } from './library-page';
import { WorkflowPage } from './workflow-page';

// CodeMirror and React Flow load only when the editor opens.
const EditorPage = lazy(() => import('./editor-page'));

/** The library's pages by address: `/workflows`, `/workflows/{name}`, `…/{name}/edit`, `/workflows/new-workflow`. */
export function LibraryView({ path }: { path: string }) {
  const route = routeOf(path);
  if (route.view !== 'library') return null;
  if (route.edit) {
    return (
      <Suspense fallback={<p className="p-4">Loading the editor…</p>}>
        <EditorPage name={route.name} />
      </Suspense>
    );
  }
  // Keyed by name: another workflow starts again at its latest version.
  return route.name ? <WorkflowPage key={route.name} name={route.name} /> : <LibraryPage />;
}
