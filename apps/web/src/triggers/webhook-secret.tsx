import type { TriggerWithSecretDto } from '@deploybot/shared';
import { useEffect, useRef } from 'react';
import { CopyButton } from '../lib/copy-button';

/**
 * A new webhook trigger's URL and secret: the secret is in the answer to creating it and nowhere else, ever, so
 * this says so plainly and offers to copy both. Dismissing it forgets the secret.
 */
export function WebhookSecret({
  trigger,
  onDismiss,
}: {
  trigger: TriggerWithSecretDto & { secret: string };
  onDismiss?: () => void;
}) {
  const url = `${window.location.origin}${trigger.webhookPath ?? `/v1/hooks/${trigger.id}`}`;
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section
      ref={ref}
      tabIndex={-1}
      aria-labelledby={`secret-title-${trigger.id}`}
      className="flex flex-col gap-2 rounded-lg border-2 border-amber-500 bg-amber-50 p-3 text-sm dark:bg-amber-950/40"
      data-testid="webhook-secret"
    >
      <h3 id={`secret-title-${trigger.id}`} className="font-semibold">
        Webhook of {trigger.name}: copy the secret now
      </h3>
      <p data-testid="secret-once-notice">
        <strong>The secret is shown only once.</strong> DeployBot keeps it sealed and will not show it again;
        if it is lost, rotate it (<code>PATCH {'{ "rotate_secret": true }'}</code>). Sign each delivery's raw
        body with it: <code>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256&gt;</code>, and send an{' '}
        <code>X-GitHub-Delivery</code> id.
      </p>
      <dl className="grid grid-cols-[auto_1fr_auto] items-center gap-x-2 gap-y-1">
        <dt className="font-medium">URL</dt>
        <dd className="min-w-0 break-all font-mono text-xs" data-testid="webhook-url">
          {url}
        </dd>
        <dd>
          <CopyButton text={url} label="Copy the webhook URL" />
        </dd>
        <dt className="font-medium">Secret</dt>
        <dd className="min-w-0 break-all font-mono text-xs" data-testid="webhook-secret-value">
          {trigger.secret}
        </dd>
        <dd>
          <CopyButton text={trigger.secret} label="Copy the webhook secret" />
        </dd>
      </dl>
      {onDismiss && (
        <div>
          <button type="button" className="btn-secondary" onClick={onDismiss} data-testid="dismiss-secret">
            I have copied it
          </button>
        </div>
      )}
    </section>
  );
}
