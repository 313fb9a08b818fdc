import { readFileSync } from 'node:fs';
import type { Browser } from '@playwright/test';
import { AppPage } from '../pages/app-page';
import { LibraryPage } from '../pages/library-page';
import { RunPage } from '../pages/run-page';
import { seriousViolations } from '../support/axe';
import { expect, screenshot, test, watchConsole } from '../support/fixtures';

const PASSWORD = 'e2e-password-123';
const suffix = Date.now().toString(36);
const NAME = `lib_${suffix}`;
const COPY = `lib_${suffix}_copy`;
const TITLE = `Library journey ${suffix}`;

/** Two branches at once (a set and a durable timer), then an if/else pair that joins: no agent needed. */
const GOOD = `name: ${NAME}
title: ${TITLE}
description: Greets, waits a moment, then says it long or short.
inputs:
  - key: greeting
    label: Greeting
    type: text
    required: true
steps:
  - id: greet
    title: Greet
    uses: set
    needs: []
    with:
      text: "\${{ inputs.greeting }}"
  - id: pause
    title: Pause
    uses: wait
    needs: []
    with:
      duration: 200ms
  - id: long_form
    title: Long form
    uses: set
    needs: [greet, pause]
    if: size(inputs.greeting) > 3
    with:
      text: "\${{ steps.greet.outputs.text }}, at length"
  - id: short_form
    title: Short form
    uses: set
    needs: [greet, pause]
    if: size(inputs.greeting) <= 3
    with:
      text: "\${{ steps.greet.outputs.text }}"
`;
// The long form's needs name a step that does not exist.
const BAD = GOOD.replace(
  '    needs: [greet, pause]\n    if: size(inputs.greeting) > 3',
  '    needs: [greet, paws]\n    if: size(inputs.greeting) > 3',
);

async function signInWithPassword(browser: Browser, baseURL: string, username: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const errors: string[] = [];
  watchConsole(page, errors);
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await new AppPage(page).waitLive();
  return { context, page, errors };
}

test('library: write a workflow with a mistake, fix it, save, start it, export and import it; viewers only read', async ({
  app,
  api,
  browser,
  baseURL,
}) => {
  // A long journey on a shared machine: writing, running, exporting, importing and a second user.
  test.setTimeout(150_000);
  const page = app.page;
  const library = new LibraryPage(page);
  await library.openFromNav();
  await expect(library.row('deploy_application').getByTestId('built-in')).toHaveText('Built-in');
  expect(await seriousViolations(page)).toEqual([]);

  // New workflow: the template compiles; a need on a missing step shows at its line; fixed, it saves as v1.
  await library.list.getByRole('link', { name: 'New workflow' }).click();
  await expect(page).toHaveURL(/\/workflows\/new-workflow(\?|$)/);
  await library.expectChecked('ok');
  await library.replaceYaml(BAD);
  await library.expectChecked('problems');
  const badLine = BAD.split('\n').indexOf('    needs: [greet, paws]') + 1;
  expect(badLine).toBe(25);
  await expect(library.problems.first()).toContainText(`line ${badLine}: unknown step "paws"`);
  await expect(library.editor.locator('.cm-lint-marker-error')).toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'library-editor-problem');

  await library.replaceYaml(GOOD);
  await library.expectChecked('ok');
  await expect(library.problems).toHaveCount(0);
  const preview = library.editor.getByTestId('workflow-graph');
  for (const id of ['greet', 'pause', 'long_form', 'short_form'])
    await expect(library.graphNode(preview, id)).toBeVisible();
  await library.editor.getByRole('button', { name: 'Save' }).click();
  await expect(library.editor.getByTestId('editor-saved')).toContainText('Saved version 1');
  expect(await seriousViolations(page)).toEqual([]);

  // The library lists it; its page draws its steps, with the conditions on the edges.
  await library.editor.getByRole('link', { name: 'Library' }).click();
  await expect(library.row(NAME)).toContainText('v1');
  await expect(library.row(NAME)).toContainText('admin');
  await expect(library.row(NAME)).toContainText('no runs yet');
  await library.openWorkflow(NAME, TITLE);
  const graph = library.workflow.getByTestId('workflow-graph');
  for (const id of ['greet', 'pause', 'long_form', 'short_form'])
    await expect(library.graphNode(graph, id)).toBeVisible();
  // Each condition once, on the edges into its step; gates and undos would be written on the boxes.
  await expect(graph.getByTestId('graph-condition')).toHaveText([
    'if: size(inputs.greeting) > 3',
    'if: size(inputs.greeting) <= 3',
  ]);
  await screenshot(page, 'library-workflow');

  // Export downloads the YAML, named after the workflow.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    library.workflow.getByRole('button', { name: 'Export YAML' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${NAME}.v1.yaml`);
  const exported = readFileSync((await download.path())!, 'utf8');
  expect(exported).toContain(`name: ${NAME}`);

  // Start version 1 with its input: the run page follows the run to its end.
  await library.workflow.getByLabel('Greeting').fill('Hello');
  await library.workflow.getByRole('button', { name: 'Start Workflow' }).click();
  await expect(page).toHaveURL(/\/runs\//);
  const run = new RunPage(page);
  await run.expectStatus('completed', 30_000);
  await expect(run.step('long_form')).toHaveAttribute('data-status', 'completed');
  await expect(run.step('short_form')).toHaveAttribute('data-status', 'skipped');

  // Import the exported file under another name: checked by the dry run first, then saved.
  await library.openFromNav();
  await expect(library.row(NAME)).toContainText('100% of 1 finished');
  // The file as a person would pick it from their downloads: its suggested name, its bytes.
  await library.list.getByTestId('import-file').setInputFiles({
    name: download.suggestedFilename(),
    mimeType: 'application/yaml',
    buffer: Buffer.from(exported),
  });
  const checked = library.list.getByTestId('import-checked');
  await expect(checked).toContainText('compiles (4 steps)');
  await checked.getByLabel('Save as (workflow name)').fill(COPY);
  await checked.getByRole('button', { name: 'Save imported workflow' }).click();
  await expect(library.list.getByTestId('import-saved')).toContainText(`Saved version 1 of ${COPY}`);
  await expect(library.row(COPY)).toContainText('v1');
  const copied = await api.get(`/v1/ai/workflows/definitions/${COPY}/export?format=yaml`);
  expect(await copied.text()).toContain(`name: ${COPY}`);

  // A second version (another description): its page compares any two versions line by line.
  const v2 = await api.post('/v1/ai/workflows/definitions', {
    headers: { 'content-type': 'application/yaml' },
    data: GOOD.replace('then says it long or short.', 'then answers long or short.'),
  });
  expect(v2.status()).toBe(201);
  await library.openWorkflow(NAME, TITLE);
  await expect(library.workflow.getByTestId('workflow-version')).toContainText('Version 2 (latest)');
  const diff = library.workflow.getByTestId('version-diff');
  await expect(diff.locator('figcaption')).toHaveText('v1 → v2: 1 line added, 1 removed');
  await expect(diff.locator('[data-diff="added"]')).toContainText('then answers long or short.');
  await library.workflow.getByLabel('Compare').selectOption('2');
  await expect(diff.locator('figcaption')).toContainText('(the same document)');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'library-versions');

  // Edit opens the latest version's YAML in the editor, compiled as it loads.
  await library.workflow.getByRole('link', { name: 'Edit' }).click();
  await expect(page).toHaveURL(new RegExp(`/workflows/${NAME}/edit(\\?|$)`));
  await expect(library.yaml).toContainText('then answers long or short.');
  await library.expectChecked('ok');

  // A viewer reads the same pages without a single editing control.
  const created = await api.post('/v1/users', {
    data: { username: `lib-viewer-${suffix}`, password: PASSWORD, role: 'viewer' },
  });
  expect(created.status()).toBe(201);
  const viewer = await signInWithPassword(browser, baseURL!, `lib-viewer-${suffix}`);
  const seen = new LibraryPage(viewer.page);
  await seen.openFromNav();
  await expect(seen.list.getByTestId('library-read-only')).toBeVisible();
  await expect(seen.list.getByRole('link', { name: 'New workflow' })).toHaveCount(0);
  await expect(seen.list.getByTestId('import-panel')).toHaveCount(0);
  await expect(seen.row(NAME).getByRole('button', { name: /^Export/ })).toBeVisible();
  await seen.openWorkflow(NAME, TITLE);
  await expect(seen.workflow.getByTestId('workflow-edit')).toHaveCount(0);
  await expect(seen.workflow.getByRole('button', { name: 'Start Workflow' })).toBeDisabled();
  await viewer.page.goto(`/workflows/${NAME}/edit`);
  await expect(viewer.page.getByTestId('editor-read-only')).toContainText('Only admins can edit workflows.');
  await expect(viewer.page.getByRole('textbox', { name: 'Workflow YAML' })).toHaveCount(0);
  await viewer.context.close();
  expect(viewer.errors).toEqual([]);
});
