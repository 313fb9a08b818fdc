import type { ChatMessageDto } from '@deploybot/shared';
import type { ClientSocket } from '../../helpers/socket-client';

/** What one socket sees of the chat: each message in its latest state, and every delta in order. */
export class ChatLog {
  readonly messages = new Map<string, ChatMessageDto>();
  readonly order: string[] = [];
  readonly deltas: { messageId: string; delta: string }[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(socket: ClientSocket) {
    socket.on('chat:message', (m) => {
      if (!this.messages.has(m.id)) this.order.push(m.id);
      this.messages.set(m.id, m);
      this.notify();
    });
    socket.on('chat:delta', (d) => {
      this.deltas.push({ messageId: d.messageId, delta: d.delta });
      this.notify();
    });
  }

  list(sessionId?: string): ChatMessageDto[] {
    return this.order
      .map((id) => this.messages.get(id)!)
      .filter((m) => !sessionId || m.sessionId === sessionId);
  }

  streamed(messageId: string): string {
    return this.deltas
      .filter((d) => d.messageId === messageId)
      .map((d) => d.delta)
      .join('');
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves with the first message (latest state) matching `predicate`. */
  waitFor(
    predicate: (m: ChatMessageDto) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<ChatMessageDto> {
    const find = () => this.list().find(predicate);
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${what}; messages:\n${this.list()
              .map((m) => `[${m.role}/${m.status}] ${m.content.slice(0, 200)}`)
              .join('\n')}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const hit = find();
        if (!hit) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(hit);
      };
      this.waiters.add(check);
    });
  }
}
