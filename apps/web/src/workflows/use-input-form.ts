import { checkInput, type InputSpec } from '@deploybot/shared';
import { useMemo, useState } from 'react';

/**
 * Values, errors and submission for a set of typed inputs. Each value is checked as typed with the server's own
 * `checkInput`; errors the server sends back replace them by field until the field changes.
 */
export function useInputForm(specs: InputSpec[]) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});

  const clientErrors = useMemo(() => {
    const errors: Record<string, string> = {};
    for (const spec of specs) {
      const checked = checkInput(spec, values[spec.key] ?? '');
      if (!checked.ok) errors[spec.key] = checked.message;
    }
    return errors;
  }, [specs, values]);

  return {
    values,
    errorOf: (key: string) => serverErrors[key] ?? (touched[key] ? clientErrors[key] : undefined),
    setValue(key: string, value: string) {
      setValues((v) => ({ ...v, [key]: value }));
      setTouched((t) => ({ ...t, [key]: true }));
      setServerErrors(({ [key]: _cleared, ...rest }) => rest);
    },
    touch: (key: string) => setTouched((t) => ({ ...t, [key]: true })),
    setServerErrors,
    /** The checked values to send, or null (and every error shown) when one is invalid. */
    collect(): Record<string, unknown> | null {
      setTouched(Object.fromEntries(specs.map((s) => [s.key, true])));
      if (Object.keys(clientErrors).length > 0) return null;
      const out: Record<string, unknown> = {};
      for (const spec of specs) {
        const checked = checkInput(spec, values[spec.key] ?? '');
        if (checked.ok && checked.value !== undefined) out[spec.key] = checked.value;
      }
      return out;
    },
    reset() {
      setValues({});
      setTouched({});
      setServerErrors({});
    },
  };
}
