import type { InputSpec } from '@deploybot/shared';
import { useId, useState } from 'react';

interface Props {
  spec: InputSpec;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  /** The message shown by the field: the client's check while typing, or the server's answer. */
  error?: string;
  disabled?: boolean;
}

const HTML_TYPE: Record<InputSpec['type'], string> = {
  text: 'text',
  choice: 'text',
  number: 'number',
  hostname: 'text',
  date: 'date',
  secret: 'password',
  email: 'email',
  url: 'url',
};

const control =
  'w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 aria-[invalid=true]:border-red-600';

/** One typed input (text, choice, number, hostname, date, secret, email, url) with its label and error. */
export function InputField({ spec, value, onChange, onBlur, error, disabled }: Props) {
  const id = useId();
  const [reveal, setReveal] = useState(false);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy =
    [error ? errorId : null, spec.description ? hintId : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: spec.key,
    disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    'aria-required': spec.required || undefined,
    'data-testid': `field-${spec.key}`,
    onBlur,
  };
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {spec.label}
        {spec.required ? (
          <span aria-hidden="true"> *</span>
        ) : (
          <span className="font-normal text-slate-600 dark:text-slate-400"> (optional)</span>
        )}
      </label>
      {spec.type === 'choice' ? (
        <select {...common} className={control} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{spec.required ? 'Choose…' : '(default)'}</option>
          {(spec.choices ?? []).map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : (
        <div className="flex gap-1">
          <input
            {...common}
            className={control}
            type={spec.type === 'secret' && reveal ? 'text' : HTML_TYPE[spec.type]}
            inputMode={spec.type === 'number' ? 'decimal' : undefined}
            value={value}
            placeholder={spec.placeholder}
            autoComplete={spec.type === 'secret' ? 'off' : undefined}
            autoCapitalize={
              spec.type === 'hostname' || spec.type === 'email' || spec.type === 'url' ? 'none' : undefined
            }
            spellCheck={spec.type === 'text' ? undefined : false}
            onChange={(e) => onChange(e.target.value)}
          />
          {spec.type === 'secret' && (
            <button
              type="button"
              className="btn-secondary text-xs"
              aria-pressed={reveal}
              onClick={() => setReveal((r) => !r)}
            >
              {reveal ? 'Hide' : 'Show'}
            </button>
          )}
        </div>
      )}
      {spec.description && (
        <p id={hintId} className="text-xs text-slate-600 dark:text-slate-400">
          {spec.description}
        </p>
      )}
      {error && (
        <p
          id={errorId}
          className="text-xs text-red-700 dark:text-red-400"
          data-testid={`field-error-${spec.key}`}
        >
          {error}
        </p>
      )}
    </div>
  );
}
