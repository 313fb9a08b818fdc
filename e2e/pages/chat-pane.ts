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
  async send(text: string): Promise<void> {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }
}
