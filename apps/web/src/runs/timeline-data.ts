import type { RunTimeline } from '@deploybot/shared';
import { useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../lib/api';

const base = '/v1/ai/workflows';

export const exportPath = (runId: string) => `${base}/${runId}/export`;

export function fetchTimeline(runId: string): Promise<RunTimeline> {
  return api<RunTimeline>('GET', `${base}/${runId}/timeline`);
}

/**
 * The run's timeline, read again whenever the run moves (its seq, which live events advance): the timeline is
 * replayed by the server from the event log, so it is fetched, never patched here.
 */
export function useTimeline(
  runId: string,
  seq: number,
): { timeline: RunTimeline | null; error: string | null } {
  const [timeline, setTimeline] = useState<RunTimeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: each new seq is a new transition to show
  useEffect(() => {
    const mine = ++latest.current;
    fetchTimeline(runId).then(
      (t) => {
        if (mine !== latest.current) return;
        setTimeline(t);
        setError(null);
      },
      (err) => {
        if (mine === latest.current) setError(errorMessage(err));
      },
    );
  }, [runId, seq]);
  // Another run's timeline is never shown under this one's title.
  return { timeline: timeline?.run.id === runId ? timeline : null, error };
}
