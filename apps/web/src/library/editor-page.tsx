import type { DefinitionVersionDto, StepKindDto } from '@deploybot/shared';
import { useEffect, useState } from 'react';
import { useCan } from '../auth/can';
import { errorMessage } from '../lib/api';
import { linkProps, workflowPath } from '../lib/router';
import { NEW_WORKFLOW_TEMPLATE } from './editor-template';
import { exportYaml, loadStepKinds, saveDocument } from './library-api';
import { ProblemList } from './problem-list';
import { useDryRun } from './use-dry-run';
import WorkflowGraph from './workflow-graph';
import { YamlEditor } from './yaml-editor';

/**
 * The editor (admins): YAML with completion, compiled by the server as you type (a dry run), the problems at
 * their line and listed below, the graph of the last text that compiled, and Save for a new version. `name`
 * null: a new workflow from the template. Loaded on demand (CodeMirror and React Flow are not in the first load).
 */
export default function EditorPage({ name }: { name: string | null }) {
  const isAdmin = useCan('admin');
  const [text, setText] = useState<string | null>(name ? null : NEW_WORKFLOW_TEMPLATE);
  const [kinds, setKinds] = useState<StepKindDto[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<DefinitionVersionDto | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const check = useDryRun(text ?? '', text !== null && isAdmin);

  useEffect(() => {
    loadStepKinds().then(setKinds, (err) =>
      setLoadError(`Could not load the step kinds: ${errorMessage(err)}`),
    );
  }, []);

  useEffect(() => {
    setSaved(null);
    if (!name) {
      setText(NEW_WORKFLOW_TEMPLATE);
      return;
    }
    setText(null);
    exportYaml(name).then(setText, (err) => setLoadError(`Could not load ${name}: ${errorMessage(err)}`));
  }, [name]);

  if (!isAdmin) {
    return (
      <div className="p-4" data-testid="editor-read-only">
        <p>Only admins can edit workflows.</p>
        <a className="underline" {...linkProps(workflowPath(name))}>
          Back to {name ?? 'the library'}
        </a>
      </div>
    );
  }

  const onSave = async () => {
    if (text === null) return;
    setSaving(true);
    setSaveError(null);
    setSaved(null);
    const res = await saveDocument(text);
    setSaving(false);
    if (res.ok) setSaved(res.saved);
    else setSaveError(res.message);
  };

  const status =
    check.status === 'checking'
      ? 'Checking…'
      : check.status === 'ok'
        ? `No problems: ${check.document?.steps.length ?? 0} steps.`
        : check.status === 'problems'
          ? `${check.issues.length} problem${check.issues.length === 1 ? '' : 's'}; the preview shows the last text that compiled.`
          : check.status === 'error'
            ? `Could not check: ${check.error}`
            : '';

  return (
    <div
      className="mx-auto flex w-full max-w-7xl flex-col gap-4 overflow-y-auto p-4"
      data-testid="editor-page"
    >
      <nav aria-label="Breadcrumb" className="text-sm">
        <a className="underline" {...linkProps(workflowPath(null))}>
          Library
        </a>
        {name && (
          <>
            {' / '}
            <a className="underline" {...linkProps(workflowPath(name))}>
              {name}
            </a>
          </>
        )}
      </nav>
      <h2 className="text-lg font-semibold">{name ? `Edit ${name}` : 'New workflow'}</h2>
      {loadError && (
        <p role="alert" className="text-red-700 dark:text-red-400">
          {loadError}
        </p>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        <section aria-labelledby="yaml-title" className="flex min-w-0 flex-col gap-2">
          <h3 id="yaml-title" className="text-sm font-semibold">
            Workflow YAML
          </h3>
          <p className="text-xs text-slate-700 dark:text-slate-300">
            Ctrl-Space completes step kinds, fields and a kind’s parameters. Esc then Tab leaves the editor.
          </p>
          {text === null ? (
            <p>Loading…</p>
          ) : (
            <YamlEditor
              value={text}
              onChange={setText}
              issues={check.issues}
              kinds={kinds}
              label="Workflow YAML"
            />
          )}
          <p role="status" className="text-sm" data-testid="editor-status" data-state={check.status}>
            {status}
          </p>
          <ProblemList issues={check.issues} />
          <div className="flex flex-wrap items-center gap-2">
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => void onSave()}
              disabled={saving || text === null}
              data-testid="editor-save"
            >
              {saving ? 'Saving…' : 'Save'}
            </button>
            <span role="status" data-testid="editor-saved">
              {saved && (
                <>
                  Saved version {saved.version} of {saved.name}.{' '}
                  <a className="underline" {...linkProps(workflowPath(saved.name))}>
                    Open {saved.name}
                  </a>
                </>
              )}
            </span>
          </div>
          {saveError && (
            <p
              role="alert"
              className="text-sm text-red-700 dark:text-red-400"
              data-testid="editor-save-error"
            >
              Not saved: {saveError}
            </p>
          )}
        </section>
        <section aria-labelledby="preview-title" className="flex min-w-0 flex-col gap-2">
          <h3 id="preview-title" className="text-sm font-semibold">
            Preview
          </h3>
          {check.document ? (
            <WorkflowGraph
              steps={check.document.steps}
              kinds={kinds}
              label={`Steps of ${check.document.title}`}
            />
          ) : (
            <p className="text-sm text-slate-700 dark:text-slate-300">
              The graph appears once the text compiles.
            </p>
          )}
        </section>
      </div>
    </div>
  );
}
