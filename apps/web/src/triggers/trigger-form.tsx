import {
  MISSED_POLICIES,
  TRIGGER_EVENT_TYPES,
  type TriggerEventType,
  type TriggerWithSecretDto,
  type WorkflowDefinitionDto,
} from '@deploybot/shared';
import { type FormEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError, errorMessage } from '../lib/api';
import { type ControlProps, control, Field } from './field';
import {
  checkForm,
  emptyForm,
  type FieldErrors,
  fieldErrorsOf,
  type SourceType,
  type TriggerFormValues,
} from './form-model';
import { triggersApi } from './triggers-api';

const SOURCE_LABEL: Record<SourceType, string> = {
  cron: 'Schedule (cron)',
  event: 'Fleet or workflow event',
  webhook: 'Signed webhook',
};

/** Paths the form shows next to a field; any other error of the server goes to the form's summary. */
const PLACED = new Set([
  'name',
  'workflow',
  'rate_limit',
  'source.expression',
  'source.timezone',
  'source.missed',
  'source.on',
  'source.filter',
]);

let nextRowId = 1;

/** The admin's form to create a trigger: checked as typed into the body, the server's 400 shown by field. */
export function TriggerForm({
  definitions,
  onCreated,
}: {
  definitions: WorkflowDefinitionDto[];
  onCreated: (trigger: TriggerWithSecretDto) => void;
}) {
  const [values, setValues] = useState<TriggerFormValues>(() => emptyForm());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const zonesId = useId();
  const keysId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const focusError = useRef(false);
  const zones = useMemo(() => ['UTC', ...Intl.supportedValuesOf('timeZone')], []);
  const definition = definitions.find((d) => d.name === values.workflow);
  const specs = definition?.inputs ?? [];

  const set = <K extends keyof TriggerFormValues>(key: K, value: TriggerFormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));
  const setRow = (id: number, patch: { key?: string; value?: string }) =>
    setValues((v) => ({ ...v, inputs: v.inputs.map((r) => (r.id === id ? { ...r, ...patch } : r)) }));

  const show = (found: FieldErrors, fallback: string) => {
    setErrors(found);
    const rowKeys = new Set(values.inputs.map((r) => `inputs.${r.key.trim()}`));
    const elsewhere = Object.entries(found).filter(
      ([path]) => !PLACED.has(path) && !path.startsWith('inputs.'),
    );
    setSummary(
      elsewhere.length > 0
        ? elsewhere.map(([path, message]) => `${path}: ${message}`).join('; ')
        : Object.keys(found).some((p) => PLACED.has(p) || rowKeys.has(p) || p.startsWith('inputs.'))
          ? 'Some values were refused; see the fields.'
          : fallback,
    );
    focusError.current = true;
  };

  // Once the errors are shown, focus the first field at fault, so a keyboard user lands where to correct.
  // biome-ignore lint/correctness/useExhaustiveDependencies: it runs after each new set of errors is rendered
  useEffect(() => {
    if (!focusError.current) return;
    focusError.current = false;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const checked = checkForm(values, specs);
    if (checked.errors) return show(checked.errors, 'Check the fields.');
    setBusy(true);
    setErrors({});
    setSummary(null);
    try {
      const created = await triggersApi.create(checked.body);
      setValues(emptyForm());
      onCreated(created);
    } catch (err) {
      if (err instanceof ApiError && err.details.length > 0) show(fieldErrorsOf(err.details), err.message);
      else if (err instanceof ApiError && err.code === 'conflict') show({ name: err.message }, err.message);
      else show({}, errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const text = (
    key: 'name' | 'expression' | 'timezone' | 'filter' | 'rateLimit',
    props: ControlProps,
    extra: Record<string, unknown> = {},
  ) => (
    <input
      {...props}
      {...extra}
      className={control}
      value={values[key]}
      onChange={(e) => set(key, e.target.value)}
    />
  );

  const inputErrors = Object.entries(errors).filter(
    ([path]) => path.startsWith('inputs.') && !values.inputs.some((r) => `inputs.${r.key.trim()}` === path),
  );

  return (
    <form
      ref={formRef}
      noValidate
      onSubmit={onSubmit}
      aria-labelledby="new-trigger-title"
      className="flex flex-col gap-3 rounded-lg border border-slate-200 p-4 dark:border-slate-700"
      data-testid="trigger-form"
    >
      <h3 id="new-trigger-title" className="text-base font-semibold">
        New trigger
      </h3>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name" path="name" error={errors.name} hint="Lower-case letters, digits, “-” and “_”.">
          {(p) => text('name', p, { 'data-testid': 'trigger-name', autoComplete: 'off', spellCheck: false })}
        </Field>
        <Field
          label="Workflow"
          path="workflow"
          error={errors.workflow}
          hint={
            definition && definition.inputs.length > 0
              ? `Inputs: ${definition.inputs.map((i) => `${i.key}${i.required ? ' (required)' : ''}`).join(', ')}`
              : undefined
          }
        >
          {(p) => (
            <select
              {...p}
              className={control}
              value={values.workflow}
              onChange={(e) => set('workflow', e.target.value)}
              data-testid="trigger-workflow"
            >
              <option value="">Choose…</option>
              {definitions.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.title} ({d.name})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Starts on" path="source.type">
          {(p) => (
            <select
              {...p}
              className={control}
              value={values.sourceType}
              onChange={(e) => set('sourceType', e.target.value as SourceType)}
              data-testid="trigger-source-type"
            >
              {(Object.keys(SOURCE_LABEL) as SourceType[]).map((t) => (
                <option key={t} value={t}>
                  {SOURCE_LABEL[t]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Rate limit (firings per minute)"
          path="rate_limit"
          error={errors.rate_limit}
          hint="Past it the trigger pauses itself. At most 600."
        >
          {(p) =>
            text('rateLimit', p, { type: 'number', min: 1, max: 600, 'data-testid': 'trigger-rate-limit' })
          }
        </Field>
        {values.sourceType === 'cron' && (
          <>
            <Field
              label="Cron expression"
              path="source.expression"
              error={errors['source.expression']}
              hint="5 fields (minute hour day month weekday), or 6 with seconds first; e.g. 0 8 * * 1-5."
            >
              {(p) =>
                text('expression', p, {
                  'data-testid': 'trigger-expression',
                  autoComplete: 'off',
                  spellCheck: false,
                  placeholder: '0 8 * * 1-5',
                })
              }
            </Field>
            <Field
              label="Time zone"
              path="source.timezone"
              error={errors['source.timezone']}
              hint="IANA, e.g. Europe/Berlin or UTC."
            >
              {(p) =>
                text('timezone', p, { list: zonesId, 'data-testid': 'trigger-timezone', autoComplete: 'off' })
              }
            </Field>
            <datalist id={zonesId}>
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            <Field
              label="Missed slots (controller down)"
              path="source.missed"
              error={errors['source.missed']}
            >
              {(p) => (
                <select
                  {...p}
                  className={control}
                  value={values.missed}
                  onChange={(e) => set('missed', e.target.value as TriggerFormValues['missed'])}
                  data-testid="trigger-missed"
                >
                  {MISSED_POLICIES.map((m) => (
                    <option key={m} value={m}>
                      {m === 'skip' ? 'Skip them (recorded as missed)' : 'Run the latest once'}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        )}
        {values.sourceType === 'event' && (
          <>
            <Field label="Event" path="source.on" error={errors['source.on']}>
              {(p) => (
                <select
                  {...p}
                  className={control}
                  value={values.on}
                  onChange={(e) => set('on', e.target.value as TriggerEventType)}
                  data-testid="trigger-on"
                >
                  {TRIGGER_EVENT_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label="Filter (optional CEL over event)"
              path="source.filter"
              error={errors['source.filter']}
              hint='e.g. event.repository == "myorg/app"'
            >
              {(p) =>
                text('filter', p, { 'data-testid': 'trigger-filter', autoComplete: 'off', spellCheck: false })
              }
            </Field>
          </>
        )}
        {values.sourceType === 'webhook' && (
          <p className="text-sm text-slate-700 sm:col-span-2 dark:text-slate-300">
            A git host or CI calls <code>POST /v1/hooks/&lt;trigger id&gt;</code>, signed with a secret that
            is shown once, right after the trigger is created.
          </p>
        )}
      </div>

      <fieldset className="flex flex-col gap-2" data-testid="trigger-inputs">
        <legend className="text-sm font-medium">Inputs</legend>
        <p className="text-xs text-slate-600 dark:text-slate-400">
          The start inputs; a value may use <code>{'${{ event.… }}'}</code>, e.g.{' '}
          <code>{'${{ event.job_id }}'}</code>.
        </p>
        <datalist id={keysId}>
          {specs.map((s) => (
            <option key={s.key} value={s.key}>
              {s.label}
            </option>
          ))}
        </datalist>
        {values.inputs.map((row, index) => {
          const error = errors[`inputs.${row.key.trim()}`] ?? errors[`inputs.#${index}`];
          const errorId = `trigger-input-error-${row.id}`;
          const described = error ? errorId : undefined;
          return (
            <div key={row.id} className="flex flex-col gap-1">
              <div className="flex flex-wrap items-end gap-2">
                <label className="flex flex-1 flex-col gap-1 text-sm">
                  Key
                  <input
                    className={control}
                    list={keysId}
                    value={row.key}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={described}
                    onChange={(e) => setRow(row.id, { key: e.target.value })}
                    data-testid={`trigger-input-key-${index}`}
                    autoComplete="off"
                  />
                </label>
                <label className="flex flex-[2] flex-col gap-1 text-sm">
                  Value
                  <input
                    className={control}
                    value={row.value}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={described}
                    onChange={(e) => setRow(row.id, { value: e.target.value })}
                    data-testid={`trigger-input-value-${index}`}
                    autoComplete="off"
                  />
                </label>
                <button
                  type="button"
                  className="btn-secondary"
                  aria-label={`Remove input ${row.key.trim() || index + 1}`}
                  onClick={() =>
                    setValues((v) => ({ ...v, inputs: v.inputs.filter((r) => r.id !== row.id) }))
                  }
                >
                  Remove
                </button>
              </div>
              {error && (
                <p
                  id={errorId}
                  className="text-xs text-red-700 dark:text-red-400"
                  data-testid={`trigger-error-inputs.${row.key.trim()}`}
                >
                  {error}
                </p>
              )}
            </div>
          );
        })}
        {inputErrors.map(([path, message]) => (
          <p
            key={path}
            className="text-xs text-red-700 dark:text-red-400"
            data-testid={`trigger-error-${path}`}
          >
            {path.slice('inputs.'.length)}: {message}
          </p>
        ))}
        <div>
          <button
            type="button"
            className="btn-secondary"
            onClick={() => {
              const used = new Set(values.inputs.map((r) => r.key));
              const key = specs.find((s) => !used.has(s.key))?.key ?? '';
              set('inputs', [...values.inputs, { id: nextRowId++, key, value: '' }]);
            }}
            data-testid="add-trigger-input"
          >
            Add input
          </button>
        </div>
      </fieldset>

      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={values.enabled}
          onChange={(e) => set('enabled', e.target.checked)}
          data-testid="trigger-enabled"
        />
        Enabled when created
      </label>

      {summary && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="trigger-form-error">
          {summary}
        </p>
      )}
      <div>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="create-trigger">
          {busy ? 'Creating…' : 'Create trigger'}
        </button>
      </div>
    </form>
  );
}
