import { useState } from 'react';
import { api, errorMessage } from '../lib/api';
import { CopyButton } from '../lib/copy-button';

interface Props {
  runId: string;
  command: string;
  /** Set when the server keeps the join token sealed: the secret's key and the placeholder standing for it. */
  secret: { key: string; placeholder: string } | null;
}

/**
 * The exact command that starts the new agent. When the server seals the join token, the command shows a
 * placeholder until the person reveals it (POST …/reveal, audited); the token stays in this component only.
 */
export function EnrollCommand({ runId, command, secret }: Props) {
  const [revealed, setRevealed] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = secret && revealed ? command.split(secret.placeholder).join(revealed) : command;
  const needsReveal = secret !== null && revealed === null;

  const reveal = async () => {
    if (!secret) return;
    setBusy(true);
    setError(null);
    try {
      const { secrets } = await api<{ secrets: Record<string, string> }>(
        'POST',
        `/v1/ai/workflows/${runId}/reveal`,
        {},
      );
      const value = secrets[secret.key];
      if (value) setRevealed(value);
      else setError('the server did not return the join token');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="mt-2" data-testid="enroll-command-box">
      <p className="text-xs font-semibold">Start the agent on the new host with:</p>
      <div className="mt-1 flex items-start gap-1">
        <code
          className="block min-w-0 flex-1 overflow-x-auto rounded bg-slate-900 p-2 text-xs whitespace-pre text-slate-100"
          data-testid="enroll-command"
          data-revealed={needsReveal ? 'false' : 'true'}
        >
          {shown}
        </code>
        {needsReveal ? (
          <button
            type="button"
            className="btn-secondary text-xs"
            disabled={busy}
            onClick={() => void reveal()}
            data-testid="reveal-token"
          >
            {busy ? 'Revealing…' : 'Reveal token'}
          </button>
        ) : (
          <CopyButton text={shown} label="Copy command" />
        )}
      </div>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
