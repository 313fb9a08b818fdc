import type { Locator, Page } from '@playwright/test';

/** The chat in the middle: notice, messages, composer. */
export class ChatPane {
  readonly root: Locator;
  constructor(page: Page) {
    this.root = page.getByTestId('chat-pane');
  }
  get notice(): Locator {
    return this.root.getByTestId('assistant-notice');
  }
  get composer(): Locator {
    return this.root.getByTestId('composer');
  }
  get messages(): Locator {
    return this.root.getByTestId('chat-message');
  }
  get provider(): Locator {
    return this.root.getByTestId('ai-provider');
  }
  /** The assistant's messages (replies and run narration), oldest first. */
  get assistantMessages(): Locator {
    return this.root.locator('[data-testid="chat-message"][data-role="assistant"]');
  }
  /** The assistant's message that says `text` (the newest, when several do). */
  assistantSaying(text: string | RegExp): Locator {
    return this.assistantMessages.filter({ hasText: text }).last();
  }
  async send(text: string): Promise<void> {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }
}
