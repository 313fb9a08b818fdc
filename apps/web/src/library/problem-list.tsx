import type { CompileIssueDto } from '@deploybot/shared';
import { problemText } from './editor-diagnostics';

/** The compiler's problems under the editor, each with its line and the path it is about. */
export function ProblemList({ issues }: { issues: readonly CompileIssueDto[] }) {
  if (issues.length === 0) return null;
  return (
    <section aria-labelledby="problems-title" className="flex flex-col gap-1" data-testid="editor-problems">
      <h3 id="problems-title" className="text-sm font-semibold text-red-800 dark:text-red-300">
        {issues.length === 1 ? '1 problem' : `${issues.length} problems`}
      </h3>
      <ul className="flex flex-col gap-1 text-sm">
        {issues.map((issue, i) => (
          <li
            // biome-ignore lint/suspicious/noArrayIndexKey: the compiler's order; two issues may be alike
            key={i}
            className="rounded border-l-4 border-red-700 bg-red-50 px-2 py-1 text-red-900 dark:bg-red-950 dark:text-red-100"
            data-testid="editor-problem"
            data-line={issue.line ?? ''}
          >
            <span>{problemText(issue)}</span>
            {issue.path && <span className="ml-2 font-mono text-xs">({issue.path})</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
