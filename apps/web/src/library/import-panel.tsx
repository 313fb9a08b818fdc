import { WORKFLOW_NAME_RE } from '@deploybot/shared';
import { type DragEvent, useId, useRef, useState } from 'react';
import { errorMessage } from '../lib/api';
import { linkProps, workflowPath } from '../lib/router';
import { formatOf, IMPORT_ACCEPT, type ImportedFile, nameIn, renamed } from './import-file';
import { type DryRun, dryRun, saveDocument } from './library-api';
import { ProblemList } from './problem-list';

type Stage =
  | { step: 'idle' }
  | { step: 'checked'; file: ImportedFile; check: DryRun }
  | { step: 'saved'; name: string; version: number };

/**
 * Import (admins): pick or drop a `.yaml`/`.json` file; it is compiled first (a dry run: its problems, or its
 * steps), may be given another name, and is saved as that name's next version.
 */
export function ImportPanel({ onSaved }: { onSaved: () => void }) {
  const inputId = useId();
  const nameId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [stage, setStage] = useState<Stage>({ step: 'idle' });
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);

  const take = async (f: File | undefined) => {
    if (!f) return;
    setError(null);
    const format = formatOf(f.name);
    if (!format) {
      setError(`${f.name} is not a .yaml, .yml or .json file`);
      return;
    }
    setBusy(true);
    try {
      const file: ImportedFile = { fileName: f.name, format, text: await f.text() };
      setName(nameIn(file) ?? '');
      setStage({ step: 'checked', file, check: await dryRun(file.text, format) });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void take(e.dataTransfer.files[0]);
  };

  const save = async () => {
    if (stage.step !== 'checked') return;
    setBusy(true);
    setError(null);
    try {
      const text = renamed(stage.file, name);
      // Under another name the document is compiled again before it is stored: nothing is saved unchecked.
      const check = await dryRun(text, stage.file.format);
      if (!check.ok) {
        setStage({ ...stage, check });
        return;
      }
      const res = await saveDocument(text, stage.file.format);
      if (!res.ok) {
        setError(res.message);
        return;
      }
      setStage({ step: 'saved', name: res.saved.name, version: res.saved.version });
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const nameValid = WORKFLOW_NAME_RE.test(name);
  return (
    <section
      aria-labelledby="import-title"
      className={`flex flex-col gap-2 rounded-md border-2 border-dashed p-3 ${over ? 'border-blue-600 bg-blue-50 dark:bg-blue-950' : 'border-slate-300 dark:border-slate-600'}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="import-panel"
    >
      <h3 id="import-title" className="text-sm font-semibold">
        Import a workflow
      </h3>
      <p className="text-sm">
        Drop a <code>.yaml</code> or <code>.json</code> file here, or choose one. It is checked before
        anything is saved.
      </p>
      <div>
        <label htmlFor={inputId} className="btn-secondary cursor-pointer">
          Choose a file…
        </label>
        <input
          id={inputId}
          ref={fileInput}
          type="file"
          accept={IMPORT_ACCEPT}
          className="sr-only"
          onChange={(e) => void take(e.target.files?.[0])}
          data-testid="import-file"
        />
      </div>
      {busy && <p role="status">Checking…</p>}
      {stage.step === 'checked' && (
        <div className="flex flex-col gap-2" data-testid="import-checked">
          <p>
            <strong>{stage.file.fileName}</strong>:{' '}
            {stage.check.ok
              ? `compiles (${stage.check.result.document.steps.length} steps).`
              : 'does not compile.'}
          </p>
          {!stage.check.ok && <ProblemList issues={stage.check.issues} />}
          <label htmlFor={nameId} className="text-sm font-medium">
            Save as (workflow name)
          </label>
          <input
            id={nameId}
            className="rounded border border-slate-400 px-2 py-1 font-mono text-sm dark:bg-slate-900"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={!nameValid}
            aria-describedby={`${nameId}-hint`}
            data-testid="import-name"
          />
          <p id={`${nameId}-hint`} className="text-xs text-slate-700 dark:text-slate-300">
            Lower-case letters, digits and _; an existing name gets a new version.
          </p>
          <div className="flex gap-2">
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy || !nameValid}
              onClick={() => void save()}
              data-testid="import-save"
            >
              Save imported workflow
            </button>
            <button type="button" className="btn-secondary" onClick={() => setStage({ step: 'idle' })}>
              Discard
            </button>
          </div>
        </div>
      )}
      {stage.step === 'saved' && (
        <p role="status" data-testid="import-saved">
          Saved version {stage.version} of{' '}
          <a className="underline" {...linkProps(workflowPath(stage.name))}>
            {stage.name}
          </a>
          .
        </p>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="import-error">
          {error}
        </p>
      )}
    </section>
  );
}
