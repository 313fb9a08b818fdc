import type { CompileIssueDto, WorkflowDocument } from '@deploybot/shared';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../lib/api';
import { dryRun } from './library-api';

/** How long typing must pause before the document is compiled again. */
export const DRY_RUN_DEBOUNCE_MS = 400;

export interface DryRunState {
  status: 'idle' | 'checking' | 'ok' | 'problems' | 'error';
  issues: CompileIssueDto[];
  /** The last document that compiled (the graph preview keeps it while the text has problems). */
  document: WorkflowDocument | null;
  /** Why the check itself failed (the controller unreachable), not a problem of the document. */
  error: string | null;
}

/** Compiles the text on the server (dry run) once typing pauses; an answer for an older text is dropped. */
export function useDryRun(text: string, enabled: boolean): DryRunState {
  const [state, setState] = useState<DryRunState>({
    status: 'idle',
    issues: [],
    document: null,
    error: null,
  });
  const seq = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, status: 'checking' }));
    const timer = setTimeout(() => {
      dryRun(text).then(
        (res) => {
          if (mine !== seq.current) return;
          setState((s) =>
            res.ok
              ? { status: 'ok', issues: [], document: res.result.document, error: null }
              : { status: 'problems', issues: res.issues, document: s.document, error: null },
          );
        },
        (err) => {
          if (mine !== seq.current) return;
          setState((s) => ({ ...s, status: 'error', error: errorMessage(err) }));
        },
      );
    }, DRY_RUN_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, enabled]);

  return state;
}
