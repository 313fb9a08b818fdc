interface Waiting<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Serves the calls made in one event-loop turn with one call of `serve`: a hundred approvals arriving together
 * read their runs, or write their audit records, in one statement instead of a hundred queued on the pool.
 * `serve` answers the inputs in their order; if it throws, every call of the batch fails with its error.
 */
export class TurnBatch<In, Out> {
  private pending: Waiting<In, Out>[] = [];

  constructor(private readonly serve: (inputs: readonly In[]) => Promise<readonly Out[]>) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const outs = await this.serve(batch.map((w) => w.input));
      for (const [i, w] of batch.entries()) w.resolve(outs[i] as Out);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
