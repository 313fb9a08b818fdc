import { expect, type Locator, type Page } from '@playwright/test';

/** The workflow library (`/workflows`), one workflow's page (`/workflows/{name}`) and the editor. */
export class LibraryPage {
  readonly list: Locator;
  readonly workflow: Locator;
  readonly editor: Locator;
  constructor(readonly page: Page) {
    this.list = page.getByTestId('library-page');
    this.workflow = page.getByTestId('workflow-page');
    this.editor = page.getByTestId('editor-page');
  }

  /** Through the header's tab, as a person gets there. */
  async openFromNav(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Library' }).click();
    await expect(this.page).toHaveURL(/\/workflows(\?|$)/);
    await expect(this.list.getByTestId('library-table')).toBeVisible();
  }

  row(name: string): Locator {
    return this.list.getByTestId(`library-row-${name}`);
  }

  async openWorkflow(name: string, title: string): Promise<void> {
    await this.row(name).getByRole('link', { name: title }).click();
    await expect(this.page).toHaveURL(new RegExp(`/workflows/${name}(\\?|$)`));
    await expect(this.workflow.getByRole('heading', { level: 2 })).toContainText(title);
  }

  // ---- The editor ----

  get yaml(): Locator {
    return this.editor.getByRole('textbox', { name: 'Workflow YAML' });
  }

  get status(): Locator {
    return this.editor.getByTestId('editor-status');
  }

  get problems(): Locator {
    return this.editor.getByTestId('editor-problem');
  }

  /** Replaces the whole document, as pasting it would (no auto-indent on the way in). */
  async replaceYaml(text: string): Promise<void> {
    await this.yaml.click();
    await this.page.keyboard.press('ControlOrMeta+a');
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.insertText(text);
  }

  /** The dry run has answered for the text as it is now (`ok` or `problems`). */
  async expectChecked(state: 'ok' | 'problems'): Promise<void> {
    await expect(this.status).toHaveAttribute('data-state', state);
  }

  graphNode(root: Locator, stepId: string): Locator {
    return root.getByTestId(`graph-node-${stepId}`);
  }
}
