import { useEffect, useState } from 'react';

/** The current time, refreshed every `ms` for relative times such as "4 s ago" (a local clock, not polling). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
