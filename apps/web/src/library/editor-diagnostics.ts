import type { Diagnostic } from '@codemirror/lint';
import type { CompileIssueDto } from '@deploybot/shared';

/** The compiler's issue as the problem list writes it: `line 7: <message>`. */
export function problemText(issue: CompileIssueDto): string {
  return issue.line ? `line ${issue.line}: ${issue.message}` : issue.message;
}

/**
 * Lint diagnostics for the editor: each issue underlines its whole line (the compiler knows lines, not
 * columns); one without a line, or past the end of a text edited since, sits on the last line.
 */
export function diagnosticsOf(text: string, issues: readonly CompileIssueDto[]): Diagnostic[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return issues.map((issue) => {
    const index = Math.min(Math.max((issue.line ?? starts.length) - 1, 0), starts.length - 1);
    const from = starts[index]!;
    const next = starts[index + 1];
    const to = next === undefined ? text.length : next - 1;
    return {
      from,
      to,
      severity: 'error',
      message: issue.path ? `${issue.message} (at ${issue.path})` : issue.message,
      source: 'compiler',
    };
  });
}
