import type { ChatProvider, ProviderEvent, ProviderRequest } from './provider';

/**
 * Tries `primary`; if it fails before it said or did anything (bad key, endpoint down, rate limit…), says so and
 * lets `fallback` answer. A failure after text or a tool call is shown as is: a second provider would repeat
 * what the first one already did (a started workflow, say).
 */
export class FallbackProvider implements ChatProvider {
  constructor(
    private readonly primary: ChatProvider,
    private readonly fallback: ChatProvider,
    private readonly onFailure: (e: Extract<ProviderEvent, { type: 'error' }>) => void = () => {},
  ) {}

  get name() {
    return this.primary.name;
  }

  get model() {
    return this.primary.model;
  }

  async *stream(req: ProviderRequest): AsyncIterable<ProviderEvent> {
    let acted = false;
    for await (const event of this.primary.stream(req)) {
      if (event.type === 'error') {
        this.onFailure(event);
        if (!acted && !req.signal.aborted) {
          yield {
            type: 'text',
            delta: `_${event.message} The built-in ${this.fallback.name} assistant answers instead._\n\n`,
          };
          yield* this.fallback.stream(req);
          return;
        }
      }
      if (event.type === 'text' || event.type === 'tool_call') acted = true;
      yield event;
    }
  }
}
