import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import type { CompileIssueDto, StepKindDto } from '@deploybot/shared';
import { useEffect, useRef } from 'react';
import { diagnosticsOf } from './editor-diagnostics';
import { workflowCompletion } from './yaml-completion';

const theme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid rgb(148 163 184)', borderRadius: '6px' },
  '&.cm-focused': { outline: '2px solid rgb(59 130 246)', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', minHeight: '20rem' },
  '.cm-gutters': { backgroundColor: 'transparent', color: 'rgb(71 85 105)' },
});

/**
 * The YAML of a workflow in CodeMirror 6: highlighting, completion of kinds, fields and a kind's parameters, and
 * the compiler's problems as lint diagnostics at their line. Tab is left to move focus (Ctrl-Space completes).
 */
export function YamlEditor({
  value,
  onChange,
  issues,
  kinds,
  label,
}: {
  value: string;
  onChange: (text: string) => void;
  issues: readonly CompileIssueDto[];
  kinds: readonly StepKindDto[];
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef({ onChange, kinds });
  latest.current = { onChange, kinds };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the view is made once; `value` changes flow out of it
  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          indentOnInput(),
          closeBrackets(),
          highlightActiveLine(),
          yaml(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          autocompletion({ override: [workflowCompletion(() => latest.current.kinds)] }),
          lintGutter(),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label, 'data-testid': 'yaml-editor' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
          theme,
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  // A text set from outside (a template, an import) replaces the document.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, diagnosticsOf(v.state.doc.toString(), issues)));
  }, [issues]);

  return <div ref={host} className="bg-white text-slate-900 dark:bg-slate-50" />;
}
