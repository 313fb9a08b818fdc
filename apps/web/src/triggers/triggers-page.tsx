import type { TriggerWithSecretDto } from '@deploybot/shared';
import { useEffect, useState } from 'react';
import { useCan } from '../auth/can';
import { useNow } from '../lib/use-now';
import { useAppStore } from '../stores/store';
import { TriggerForm } from './trigger-form';
import { TriggerItem } from './trigger-item';
import { refreshTriggers, useTriggers } from './triggers-store';
import { WebhookSecret } from './webhook-secret';

/** How often the open page lists triggers and firings again (there is no socket event for them). */
const POLL_MS = 3000;

type WithSecret = TriggerWithSecretDto & { secret: string };

/**
 * `/triggers`: every trigger with its source, next fire times and latest firings (and the runs they started);
 * admins create, enable, disable and delete them. Everyone signed in reads.
 */
export function TriggersPage() {
  const triggers = useTriggers((s) => s.triggers);
  const firings = useTriggers((s) => s.firings);
  const error = useTriggers((s) => s.error);
  const definitions = useAppStore((s) => s.definitions);
  const isAdmin = useCan('admin');
  const now = useNow(5000);
  const [secret, setSecret] = useState<WithSecret | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  useEffect(() => {
    void refreshTriggers();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refreshTriggers();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, []);

  const titleOf = (name: string) => definitions.find((d) => d.name === name)?.title;

  return (
    <div
      className="mx-auto flex w-full max-w-6xl flex-col gap-6 overflow-y-auto p-4"
      data-testid="triggers-view"
    >
      <section aria-labelledby="triggers-title" className="flex flex-col gap-2">
        <h2 id="triggers-title" className="text-lg font-semibold">
          Triggers
        </h2>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          Triggers start workflows without anyone typing: on a schedule, on a fleet or workflow event, or on a
          signed webhook. Each firing starts at most one run; gates still wait for a person.
        </p>
        {!isAdmin && (
          <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="triggers-read-only">
            Only admins can create, change or delete triggers; you can see them and their firings.
          </p>
        )}
      </section>

      {isAdmin && (
        <TriggerForm
          definitions={definitions}
          onCreated={(t) => {
            setCreated(t.name);
            setSecret(t.secret ? (t as WithSecret) : null);
            void refreshTriggers();
          }}
        />
      )}
      <p role="status" className="sr-only">
        {created ? `Trigger ${created} created.` : ''}
      </p>
      {secret && <WebhookSecret trigger={secret} onDismiss={() => setSecret(null)} />}
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}

      <section aria-labelledby="trigger-list-title" className="flex flex-col gap-2">
        <h2 id="trigger-list-title" className="text-base font-semibold">
          {triggers ? `All triggers (${triggers.length})` : 'All triggers'}
        </h2>
        {triggers === null ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">Loading…</p>
        ) : triggers.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="no-triggers">
            No triggers yet.{' '}
            {isAdmin
              ? 'Create one above, or ask the assistant (“run a health check every weekday at 8:00 Berlin time”).'
              : ''}
          </p>
        ) : (
          <ul className="flex flex-col gap-3" data-testid="trigger-list">
            {triggers.map((t) => (
              <TriggerItem
                key={t.id}
                trigger={t}
                firings={firings[t.id] ?? []}
                workflowTitle={titleOf(t.workflow)}
                canChange={isAdmin}
                now={now}
              />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
