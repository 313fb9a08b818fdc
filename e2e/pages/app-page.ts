import { expect, type Page } from '@playwright/test';
import { ChatPane } from './chat-pane';
import { FleetPage } from './fleet-page';
import { WorkflowSidebar } from './workflow-sidebar';

/** The signed-in app: header, chat, sidebar and fleet view. */
export class AppPage {
  readonly sidebar: WorkflowSidebar;
  readonly fleet: FleetPage;
  readonly chat: ChatPane;

  constructor(readonly page: Page) {
    this.sidebar = new WorkflowSidebar(page);
    this.fleet = new FleetPage(page);
    this.chat = new ChatPane(page);
  }

  /** Signs in with the link the controller prints (`/login#token=…`), as an operator would. */
  async signIn(token: string, path = '/'): Promise<void> {
    const next = path === '/' ? '' : `?next=${encodeURIComponent(path)}`;
    await this.page.goto(`/login${next}#token=${token}`);
    await this.waitLive();
  }

  async waitLive(): Promise<void> {
    await expect(this.page.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
    await expect(this.sidebar.root.getByTestId('workflow-select').locator('option')).not.toHaveCount(1);
  }

  async openRun(runId: string): Promise<void> {
    await this.page.goto(`/?run=${runId}`);
    await this.waitLive();
    await expect(this.sidebar.runView).toHaveAttribute('data-run-id', runId);
  }
}
