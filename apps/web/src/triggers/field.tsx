import { type ReactNode, useId } from 'react';

export const control =
  'w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 aria-[invalid=true]:border-red-600';

/** What a control needs to be labelled and described by its hint and its error. */
export interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/**
 * A labelled form field: the label a person sees, the control, a hint, and the error for `path` (the client's
 * check or the server's 400, which names the same paths).
 */
export function Field({
  label,
  path,
  error,
  hint,
  children,
}: {
  label: string;
  /** The body path the server names (`source.expression`): the error's test id. */
  path: string;
  error?: string;
  hint?: ReactNode;
  children: (props: ControlProps) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <p id={hintId} className="text-xs text-slate-600 dark:text-slate-400">
          {hint}
        </p>
      )}
      {error && (
        <p
          id={errorId}
          className="text-xs text-red-700 dark:text-red-400"
          data-testid={`trigger-error-${path}`}
        >
          {error}
        </p>
      )}
    </div>
  );
}
