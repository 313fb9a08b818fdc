import OpenAI from 'openai';
import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { ChatProvider, ProviderEvent, ProviderRequest, ToolOutcome } from '../provider';
import { describeFailure } from './errors';
import { runsContext, SYSTEM_PROMPT } from './prompt';

export interface OpenAiOptions {
  apiKey: string;
  /** Any OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1. Default: OpenAI. */
  baseURL?: string;
  model: string;
  /** Longest silence tolerated from the endpoint (before the first byte, or between two chunks). */
  timeoutMs: number;
  /** Model → tools → model rounds for one message. */
  maxToolRounds: number;
  /** Retries of the SDK on connection errors, 429 and 5xx. Default 1. */
  maxRetries?: number;
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/**
 * A model behind the OpenAI chat completions API (or any compatible server), with streaming and function
 * calling: text deltas go out as they come; tool calls are run through the registry and their results fed back,
 * for at most `maxToolRounds` rounds. Failures end the answer with a clear message, never an exception.
 */
export class OpenAiProvider implements ChatProvider {
  readonly name = 'openai' as const;
  readonly client: OpenAI;

  constructor(private readonly opts: OpenAiOptions) {
    this.client = new OpenAI({
      apiKey: opts.apiKey,
      baseURL: opts.baseURL,
      timeout: opts.timeoutMs,
      maxRetries: opts.maxRetries ?? 1,
    });
  }

  get model(): string {
    return this.opts.model;
  }

  async *stream(req: ProviderRequest): AsyncIterable<ProviderEvent> {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'system', content: runsContext(req.runs, req.actor, new Date()) },
      ...req.history
        .filter((m) => m.content.trim())
        .map(
          (m): ChatCompletionMessageParam =>
            m.role === 'user'
              ? { role: 'user', content: m.content }
              : m.role === 'assistant'
                ? { role: 'assistant', content: m.content }
                : { role: 'system', content: m.content },
        ),
      { role: 'user', content: req.message },
    ];
    const tools: ChatCompletionTool[] = req.tools.specs.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));

    let separate = false;
    for (let round = 1; round <= this.opts.maxToolRounds; round++) {
      const calls = new Map<number, PendingCall>();
      let text = '';
      // Our own inactivity timer: the SDK's timeout stops at the response headers, a stream can stall after.
      const abort = new AbortController();
      const onAbort = () => abort.abort(req.signal.reason);
      req.signal.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          abort.abort(new Error('timeout'));
        }, this.opts.timeoutMs);
      };
      try {
        arm();
        const stream = await this.client.chat.completions.create(
          { model: this.opts.model, messages, tools, stream: true },
          { signal: abort.signal },
        );
        for await (const chunk of stream) {
          arm();
          const delta = chunk.choices?.[0]?.delta;
          if (!delta) continue;
          if (delta.content) {
            const piece = separate && !text ? `\n\n${delta.content}` : delta.content;
            text += delta.content;
            yield { type: 'text', delta: piece };
          }
          for (const tc of delta.tool_calls ?? []) {
            const call = calls.get(tc.index) ?? { id: '', name: '', args: '' };
            if (tc.id) call.id = tc.id;
            if (tc.function?.name) call.name += tc.function.name;
            if (tc.function?.arguments) call.args += tc.function.arguments;
            calls.set(tc.index, call);
          }
        }
        // An abort mid-stream may end the iteration quietly instead of throwing.
        if (abort.signal.aborted) throw abort.signal.reason;
      } catch (err) {
        if (req.signal.aborted) return;
        const failure = describeFailure(err, { ...this.opts, timedOut });
        yield { type: 'error', kind: failure.kind, message: failure.message };
        return;
      } finally {
        clearTimeout(timer);
        req.signal.removeEventListener('abort', onAbort);
      }
      if (req.signal.aborted) return;
      if (calls.size === 0) {
        yield { type: 'done' };
        return;
      }

      const ordered = [...calls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, c]) => ({ ...c, id: c.id || `call_${round}_${index}` }));
      messages.push({
        role: 'assistant',
        content: text || null,
        tool_calls: ordered.map(
          (c): ChatCompletionMessageFunctionToolCall => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.args },
          }),
        ),
      });
      for (const call of ordered) {
        let args: unknown = call.args;
        let outcome: ToolOutcome | null = null;
        try {
          args = call.args.trim() ? JSON.parse(call.args) : {};
        } catch (err) {
          outcome = {
            ok: false,
            error: `the arguments were not valid JSON (${(err as Error).message}); nothing was run. Call the tool again with a JSON object.`,
          };
        }
        yield { type: 'tool_call', id: call.id, name: call.name, arguments: args };
        outcome ??= await req.tools.run(call.name, args);
        yield {
          type: 'tool_result',
          id: call.id,
          name: call.name,
          result: outcome.ok ? outcome.result : null,
          error: outcome.ok ? null : outcome.error,
        };
        messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: JSON.stringify(outcome.ok ? outcome.result : { error: outcome.error }),
        });
        if (req.signal.aborted) return;
      }
      separate = separate || text.length > 0;
    }
    yield {
      type: 'text',
      delta: `\n\n_(Stopped after ${this.opts.maxToolRounds} rounds of tool calls without a final answer.)_`,
    };
    yield { type: 'done' };
  }
}
