import type { DefinitionVersionDto } from '@deploybot/shared';
import { lazy, Suspense, useEffect, useId, useState } from 'react';
import { errorMessage } from '../lib/api';
import { exportYaml } from './library-api';

const VersionDiff = lazy(() => import('./version-diff'));

/** Two versions picked from the list, and the line diff of their exported YAML. */
export function VersionCompare({ name, versions }: { name: string; versions: DefinitionVersionDto[] }) {
  const fromId = useId();
  const toId = useId();
  const latest = versions.at(-1)?.version ?? 1;
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);
  const [texts, setTexts] = useState<{ key: string; older: string; newer: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setFrom(Math.max(1, latest - 1));
    setTo(latest);
  }, [latest]);

  useEffect(() => {
    let live = true;
    setError(null);
    Promise.all([exportYaml(name, from), exportYaml(name, to)]).then(
      ([older, newer]) => live && setTexts({ key: `${from}:${to}`, older, newer }),
      (err) => live && setError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [name, from, to]);

  const select = (id: string, label: string, value: number, set: (v: number) => void) => (
    <span className="flex items-center gap-1">
      <label htmlFor={id} className="text-sm">
        {label}
      </label>
      <select
        id={id}
        className="rounded border border-slate-400 px-1 py-0.5 text-sm dark:bg-slate-900"
        value={value}
        onChange={(e) => set(Number(e.target.value))}
      >
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
          </option>
        ))}
      </select>
    </span>
  );

  return (
    <div className="flex flex-col gap-2" data-testid="version-compare">
      <div className="flex flex-wrap items-center gap-3">
        {select(fromId, 'Compare', from, setFrom)}
        {select(toId, 'with', to, setTo)}
      </div>
      {error && (
        <p role="alert" className="text-red-700 dark:text-red-400">
          Could not load the versions: {error}
        </p>
      )}
      {texts?.key === `${from}:${to}` ? (
        <Suspense fallback={<p>Loading the diff…</p>}>
          <VersionDiff older={texts.older} newer={texts.newer} label={`v${from} → v${to}`} />
        </Suspense>
      ) : (
        !error && <p>Loading the diff…</p>
      )}
    </div>
  );
}
