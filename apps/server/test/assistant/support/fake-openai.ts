import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One piece of a streamed answer: text, or (part of) a tool call. */
export type Chunk =
  | { content: string }
  | { tool: { index: number; id?: string; name?: string; arguments?: string } };

/** What the fake does with the next request. */
export type Script =
  | { kind: 'stream'; chunks: Chunk[]; delayMs?: number }
  | { kind: 'text'; text: string }
  | { kind: 'status'; status: number; message?: string }
  | { kind: 'hang' }
  | { kind: 'stall'; chunks: Chunk[] }
  | { kind: 'destroy' };

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    stream?: boolean;
    messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
    tools?: { type: string; function: { name: string; description: string; parameters: unknown } }[];
  };
}

/**
 * A test double of an OpenAI-compatible API on loopback: `POST /v1/chat/completions` answers from a script, in
 * the chat.completions format (server-sent events when `stream` is set). Unscripted requests get a short text.
 */
export class FakeOpenAi {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Script[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  /** Scripts the next requests, in order. */
  enqueue(...scripts: Script[]): void {
    this.queue.push(...scripts);
  }

  get pending(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const piece of req) raw += piece;
    const body = JSON.parse(raw) as RecordedRequest['body'];
    this.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    const script = this.queue.shift() ?? { kind: 'text', text: 'Fake model answer.' };
    switch (script.kind) {
      case 'status':
        res.writeHead(script.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: script.message ?? `status ${script.status}`, type: 'error' } }),
        );
        return;
      case 'hang':
        return; // never answers; closed by close()
      case 'destroy':
        req.socket.destroy();
        return;
      case 'text':
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'cmpl-fake',
              object: 'chat.completion',
              created: Math.floor(Date.now() / 1000),
              model: body.model,
              choices: [
                { index: 0, message: { role: 'assistant', content: script.text }, finish_reason: 'stop' },
              ],
            }),
          );
          return;
        }
        return this.sse(res, body.model, [{ content: script.text }], 0, true);
      case 'stream':
        return this.sse(res, body.model, script.chunks, script.delayMs ?? 0, true);
      case 'stall':
        return this.sse(res, body.model, script.chunks, 0, false);
    }
  }

  private async sse(res: ServerResponse, model: string, chunks: Chunk[], delayMs: number, finish: boolean) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (delta: unknown, finishReason: string | null) =>
      res.write(
        `data: ${JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion.chunk',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, delta, finish_reason: finishReason }],
        })}\n\n`,
      );
    send({ role: 'assistant', content: '' }, null);
    let tools = false;
    for (const c of chunks) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (res.destroyed) return;
      if ('content' in c) send({ content: c.content }, null);
      else {
        tools = true;
        const { index, id, name, arguments: args } = c.tool;
        send(
          {
            tool_calls: [
              {
                index,
                ...(id && { id, type: 'function' }),
                function: { ...(name && { name }), ...(args !== undefined && { arguments: args }) },
              },
            ],
          },
          null,
        );
      }
    }
    if (!finish) return; // stalls: headers and some chunks, then silence
    send({}, tools ? 'tool_calls' : 'stop');
    res.write('data: [DONE]\n\n');
    res.end();
  }
}

/** A tool call split over several chunks, as real servers stream them. */
export function toolCall(index: number, id: string, name: string, args: string, pieces = 3): Chunk[] {
  const size = Math.max(1, Math.ceil(args.length / pieces));
  const parts: Chunk[] = [{ tool: { index, id, name, arguments: '' } }];
  for (let i = 0; i < args.length; i += size)
    parts.push({ tool: { index, arguments: args.slice(i, i + size) } });
  return parts;
}
