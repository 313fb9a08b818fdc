/** Collapsible pretty-printed JSON. */
export function JsonView({ label, value, open = false }: { label: string; value: unknown; open?: boolean }) {
  return (
    <details className="mt-1 text-xs" open={open}>
      <summary className="cursor-pointer text-slate-700 select-none dark:text-slate-300">{label}</summary>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable block must be reachable to scroll it by keyboard */}
      <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-100 p-2 dark:bg-slate-800" tabIndex={0}>
        {JSON.stringify(value, null, 2)}
      </pre>
    </details>
  );
}
