const ignore = () => {};

/**
 * One read shared by everyone who asks for the same snapshot, so a thousand subscribers cost one or two queries.
 * A subscriber joins its room first and reads second, so it must get a read that started after it asked: a
 * caller arriving while a read runs waits for the next one, which then serves every caller that waited.
 */
export class FreshRead<T> {
  private running: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.running) {
      this.running = this.load().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.next ??= this.running.then(ignore, ignore).then(() => {
      this.next = null;
      return this.get();
    });
    return this.next;
  }
}
