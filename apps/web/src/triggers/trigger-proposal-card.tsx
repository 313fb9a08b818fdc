import { createTriggerBodySchema, type TriggerProposal, type TriggerWithSecretDto } from '@deploybot/shared';
import { useEffect, useId, useState } from 'react';
import { useCan } from '../auth/can';
import { ApiError, errorMessage } from '../lib/api';
import { linkProps } from '../lib/router';
import { formatFireTime } from './format';
import { triggersApi } from './triggers-api';
import { refreshTriggers, triggersStore, useTriggers } from './triggers-store';
import { WebhookSecret } from './webhook-secret';

const TRIGGERS_PATH = '/triggers';

function refusal(err: unknown): string {
  if (err instanceof ApiError && err.details.length > 0)
    return `${err.message} (${err.details.map((d) => `${d.path}: ${d.message}`).join('; ')})`;
  return errorMessage(err);
}

/**
 * A trigger the assistant proposed: what it would start, when, with which inputs. Nothing exists until a person
 * clicks "Create trigger" (an admin: the server refuses anyone else), which sends the checked body to
 * `POST /v1/triggers`. Whether it was created is read from the triggers themselves, so a reload still shows it.
 */
export function TriggerProposalCard({
  proposal,
  proposedAt,
}: {
  proposal: TriggerProposal;
  proposedAt: string;
}) {
  const isAdmin = useCan('admin');
  const { trigger } = proposal;
  const existing = useTriggers((s) => s.triggers?.find((t) => t.name === trigger.name));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<(TriggerWithSecretDto & { secret: string }) | null>(null);
  const titleId = useId();
  const whyId = useId();
  const zone = trigger.source.type === 'cron' ? trigger.source.timezone : 'UTC';
  const inputs = Object.entries(trigger.inputs);
  const created = existing && existing.createdAt >= proposedAt ? existing : undefined;
  const clash = existing && !created;

  useEffect(() => {
    if (triggersStore.getState().triggers === null) void refreshTriggers({ firings: false });
  }, []);

  const create = async () => {
    const body = createTriggerBodySchema.safeParse(trigger);
    if (!body.success) {
      setError(body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const made = await triggersApi.create(body.data);
      if (made.secret) setSecret(made as TriggerWithSecretDto & { secret: string });
      triggersStore.setState((s) => ({
        triggers: [...(s.triggers ?? []).filter((t) => t.id !== made.id), made],
      }));
      void refreshTriggers({ firings: false });
    } catch (err) {
      setError(refusal(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      aria-labelledby={titleId}
      className="mt-2 flex w-full max-w-[min(42rem,100%)] flex-col gap-2 rounded-lg border border-slate-200 p-3 text-sm dark:border-slate-700"
      data-testid="trigger-proposal"
      data-trigger-name={trigger.name}
      data-state={created ? 'created' : 'proposed'}
    >
      <h3 id={titleId} className="font-medium">
        {created ? 'Trigger' : 'Proposed trigger'} <code>{trigger.name}</code>
      </h3>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
        <dt className="text-slate-600 dark:text-slate-400">Workflow</dt>
        <dd>
          {proposal.workflowTitle} <code className="text-xs">{trigger.workflow}</code>
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">Source</dt>
        <dd>
          <code className="break-all" data-testid="proposal-source">
            {proposal.source}
          </code>
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">Inputs</dt>
        <dd className="font-mono text-xs">
          {inputs.length === 0
            ? 'none'
            : inputs.map(([k, v]) => (
                <div key={k}>
                  {k} = {typeof v === 'string' ? v : JSON.stringify(v)}
                </div>
              ))}
        </dd>
        {proposal.nextFireTimes.length > 0 && (
          <>
            <dt className="text-slate-600 dark:text-slate-400">Next ({zone})</dt>
            <dd>
              <ol className="tabular-nums" data-testid="proposal-next-fire-times">
                {proposal.nextFireTimes.map((at) => (
                  <li key={at}>
                    <time dateTime={at}>{formatFireTime(at, zone)}</time>
                  </li>
                ))}
              </ol>
            </dd>
          </>
        )}
      </dl>
      {created ? (
        <p className="text-green-800 dark:text-green-300" data-testid="proposal-created">
          ✓ Created by {created.createdBy}.{' '}
          <a {...linkProps(TRIGGERS_PATH)} className="underline" data-testid="open-triggers-page">
            Open the Triggers page
          </a>
        </p>
      ) : clash ? (
        <p className="text-amber-800 dark:text-amber-300">
          A trigger named <code>{trigger.name}</code> exists already;{' '}
          <a {...linkProps(TRIGGERS_PATH)} className="underline">
            see the Triggers page
          </a>
          .
        </p>
      ) : (
        <div className="flex flex-wrap items-center gap-2">
          <button
            type="button"
            className="btn btn-primary text-xs"
            disabled={!isAdmin || busy}
            aria-describedby={isAdmin ? undefined : whyId}
            onClick={() => void create()}
            data-testid="create-proposed-trigger"
          >
            {busy ? 'Creating…' : 'Create trigger'}
          </button>
          {isAdmin ? (
            <span className="text-xs text-slate-600 dark:text-slate-400">
              Nothing is created until you click.
            </span>
          ) : (
            <span
              id={whyId}
              className="text-xs text-slate-700 dark:text-slate-300"
              data-testid="proposal-not-admin"
            >
              Only an admin can create triggers; an admin can create this one on the Triggers page.
            </span>
          )}
        </div>
      )}
      {error && (
        <p role="alert" className="text-red-700 dark:text-red-400" data-testid="proposal-error">
          {error}
        </p>
      )}
      {secret && <WebhookSecret trigger={secret} onDismiss={() => setSecret(null)} />}
    </section>
  );
}
