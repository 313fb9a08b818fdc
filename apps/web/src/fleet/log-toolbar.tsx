import { useId, useState } from 'react';

/** Search, follow and download, above the log. */
export function LogToolbar({
  label,
  query,
  onQuery,
  matches,
  following,
  onFollow,
  download,
}: {
  label: string;
  query: string;
  onQuery: (q: string) => void;
  matches: number | null;
  following: boolean;
  onFollow: (on: boolean) => void;
  download?: () => Promise<void>;
}) {
  const followId = useId();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs">
      <input
        type="search"
        className="min-w-40 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        placeholder="Search log"
        aria-label={`Search ${label}`}
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        data-testid="log-search"
      />
      {matches !== null && (
        <span role="status" data-testid="log-match-count">
          {matches} matching line{matches === 1 ? '' : 's'}
        </span>
      )}
      <label htmlFor={followId} className="flex items-center gap-1">
        <input
          id={followId}
          type="checkbox"
          checked={following}
          onChange={(e) => onFollow(e.target.checked)}
          data-testid="log-follow"
        />
        Follow
      </label>
      {download && (
        <button
          type="button"
          className="btn-secondary text-xs"
          disabled={saving}
          onClick={() => {
            setSaving(true);
            setError(null);
            download()
              .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
              .finally(() => setSaving(false));
          }}
          data-testid="log-download"
        >
          {saving ? 'Preparing…' : 'Download'}
        </button>
      )}
      {error && (
        <span role="alert" className="text-red-700 dark:text-red-400">
          Download failed: {error}
        </span>
      )}
    </div>
  );
}
