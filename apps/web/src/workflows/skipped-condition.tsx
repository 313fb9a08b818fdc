/** Why a step was skipped: the `if` it carried, verbatim, and that it was false when evaluated. */
export function SkippedCondition({ expression, className = '' }: { expression: string; className?: string }) {
  return (
    <p className={`text-sm break-words ${className}`} data-testid="skipped-condition">
      Skipped:{' '}
      <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-800 dark:bg-slate-800 dark:text-slate-200">
        {expression}
      </code>{' '}
      was false
    </p>
  );
}
