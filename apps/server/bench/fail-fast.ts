/**
 * The engine reports driver failures through `onError` rather than rejecting anything the benchmark awaits,
 * so a broken run would just never finish. This turns the first such error into a rejection to race against.
 */
export function failFast(): { onError: (err: unknown, runId: string) => void; failed: Promise<never> } {
  let reject!: (err: unknown) => void;
  const failed = new Promise<never>((_, r) => {
    reject = r;
  });
  failed.catch(() => {}); // nobody may be racing it when the error comes; the race still sees the rejection
  return {
    onError: (err, runId) =>
      reject(new Error(`run ${runId} failed in its driver: ${String(err)}`, { cause: err })),
    failed,
  };
}
