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

/**
 * Two builds at once (durable timers), then two sign-offs that wait at once, then an announcement whose `if` is
 * false for a staging release: no agent needed.
 */
const GOOD = `name: ${NAME}
title: ${TITLE}
description: Two builds at once, two sign-offs at once, an announcement only for prod.
inputs:
  - key: env
    label: Environment
    type: text
    required: true
steps:
  - id: build_a
    title: Build A
    uses: wait
    needs: []
    with:
      duration: 6s
  - id: build_b
    title: Build B
    uses: wait
    needs: []
    with:
      duration: 6s
  - id: qa
    title: QA sign-off
    uses: approval
    needs: [build_a, build_b]
    with:
      message: QA has tested both builds
  - id: ops
    title: Ops sign-off
    uses: approval
    needs: [build_a, build_b]
    with:
      message: Ops is ready for the release
  - id: announce
    title: Announce the release
    uses: set
    needs: [qa, ops]
    if: inputs.env == "prod"
    with:
      announced: true
`;
// The announcement's needs name a step that does not exist.
const BAD = GOOD.replace('    needs: [qa, ops]\n', '    needs: [qa, opz]\n');
const STEPS = ['build_a', 'build_b', 'qa', 'ops', 'announce'];

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

test('library: write a workflow with a mistake, fix it, save, run it from the sidebar (parallel steps, two gates), read its timeline, export and import it, run the copy; viewers only read', async ({
  app,
  api,
  browser,
  baseURL,
}) => {
  // A long journey on a shared machine: writing, two runs with timers and gates, exporting, importing, a second user.
  test.setTimeout(300_000);
  const { page, sidebar } = app;
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
  const badLine = BAD.split('\n').indexOf('    needs: [qa, opz]') + 1;
  expect(badLine).toBeGreaterThan(1);
  await expect(library.problems.first()).toContainText(`line ${badLine}: unknown step "opz"`);
  await expect(library.editor.locator('.cm-lint-marker-error')).toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'library-editor-problem');

  await library.replaceYaml(GOOD);
  await library.expectChecked('ok');
  await expect(library.problems).toHaveCount(0);
  const preview = library.editor.getByTestId('workflow-graph');
  for (const id of STEPS) await expect(library.graphNode(preview, id)).toBeVisible();
  await library.editor.getByRole('button', { name: 'Save' }).click();
  await expect(library.editor.getByTestId('editor-saved')).toContainText('Saved version 1');
  expect(await seriousViolations(page)).toEqual([]);

  // The library lists it; its page draws its steps: the condition on the edge, the gates in words.
  await library.editor.getByRole('link', { name: 'Library' }).click();
  await expect(library.row(NAME)).toContainText('v1');
  await expect(library.row(NAME)).toContainText('admin');
  await expect(library.row(NAME)).toContainText('no runs yet');
  await library.openWorkflow(NAME, TITLE);
  const graph = library.workflow.getByTestId('workflow-graph');
  for (const id of STEPS) await expect(library.graphNode(graph, id)).toBeVisible();
  await expect(graph.getByTestId('graph-condition')).toHaveText(['if: inputs.env == "prod"']);
  await expect(library.graphNode(graph, 'qa')).toContainText('Gate');
  await screenshot(page, 'library-workflow');

  // Export downloads the YAML, named after the workflow.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    library.workflow.getByRole('button', { name: 'Export YAML' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${NAME}.v1.yaml`);
  const exported = readFileSync((await download.path())!, 'utf8');
  expect(exported).toContain(`name: ${NAME}`);

  // Started from the sidebar (saved a moment ago, without a reload): both builds run at the same time.
  await page.getByTestId('nav-chat').click();
  const runId = await sidebar.startWorkflow(NAME, { env: 'staging' });
  const builds = sidebar.parallelGroup('build_a');
  await expect(builds).toHaveAttribute('data-active', '2');
  await expect(builds).toContainText('Running in parallel: 2 of 2 steps at the same time');
  await sidebar.expectStep('build_a', 'awaiting_event');
  await sidebar.expectStep('build_b', 'awaiting_event');
  await screenshot(page, 'journey-parallel-steps');

  // Both gates wait at once, each with its own panel; each is approved with its own button and note.
  await sidebar.expectStep('qa', 'awaiting_approval', 30_000);
  await sidebar.expectStep('ops', 'awaiting_approval');
  await expect(sidebar.runView.getByTestId('approval-panel')).toHaveCount(2);
  expect(await seriousViolations(page)).toEqual([]);
  await sidebar.step('ops').getByTestId('approval-note').fill('ops ready');
  await sidebar.approveButton('Ops sign-off').click();
  await sidebar.expectStep('ops', 'completed');
  await sidebar.expectStep('qa', 'awaiting_approval');
  await sidebar.step('qa').getByTestId('approval-note').fill('qa done');
  await sidebar.approveButton('QA sign-off').click();
  await sidebar.expectRun('completed', 30_000);
  await sidebar.expectStep('announce', 'skipped');
  await expect(sidebar.step('announce').getByTestId('skipped-condition')).toHaveText(
    'Skipped: inputs.env == "prod" was false',
  );
  await expect(sidebar.runView.getByTestId('progress-detail')).toHaveText('5 of 5 steps done · 1 skipped');

  // The run page: its timeline holds both decisions with who and the note; both builds' bars.
  await sidebar.runView.getByTestId('open-run-page').click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}(\\?|$)`));
  const run = new RunPage(page);
  await run.expectStatus('completed');
  await expect(run.step('announce').getByTestId('skipped-condition')).toHaveText(
    'Skipped: inputs.env == "prod" was false',
  );
  const timeline = run.root.getByTestId('run-timeline');
  for (const [step, title, note] of [
    ['qa', 'QA sign-off', 'qa done'],
    ['ops', 'Ops sign-off', 'ops ready'],
  ] as const) {
    const decision = timeline.locator(
      `[data-testid="timeline-entry"][data-type="step.approved"][data-step="${step}"]`,
    );
    await expect(decision.getByTestId('timeline-text')).toHaveText(`${title}: approved by admin`);
    await expect(decision.getByTestId('timeline-note')).toHaveText(`Note: “${note}”`);
  }
  for (const step of ['build_a', 'build_b'])
    await expect(
      timeline.locator(`[data-testid="time-axis-bar"][data-step="${step}"]`).first(),
    ).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'journey-timeline');

  // Import the exported file under another name (dry run first, then saved), and run the copy for prod.
  await library.openFromNav();
  await expect(library.row(NAME)).toContainText('100% of 1 finished');
  await library.list.getByTestId('import-file').setInputFiles({
    name: download.suggestedFilename(),
    mimeType: 'application/yaml',
    buffer: Buffer.from(exported),
  });
  const checked = library.list.getByTestId('import-checked');
  await expect(checked).toContainText('compiles (5 steps)');
  await checked.getByLabel('Save as (workflow name)').fill(COPY);
  await checked.getByRole('button', { name: 'Save imported workflow' }).click();
  await expect(library.list.getByTestId('import-saved')).toContainText(`Saved version 1 of ${COPY}`);
  await expect(library.row(COPY)).toContainText('v1');
  await library.openWorkflow(COPY, TITLE);
  await library.workflow.getByLabel('Environment').fill('prod');
  await library.workflow.getByRole('button', { name: 'Start Workflow' }).click();
  await expect(page).toHaveURL(/\/runs\//);
  await run.approve('qa');
  await run.approve('ops');
  await run.expectStatus('completed', 30_000);
  await expect(run.step('announce')).toHaveAttribute('data-status', 'completed');
  const copied = await api.get(`/v1/ai/workflows/definitions/${COPY}/export?format=yaml`);
  expect(await copied.text()).toContain(`name: ${COPY}`);

  // A second version (another description): its page compares any two versions line by line.
  const v2 = await api.post('/v1/ai/workflows/definitions', {
    headers: { 'content-type': 'application/yaml' },
    data: GOOD.replace('an announcement only for prod.', 'an announcement for prod only.'),
  });
  expect(v2.status()).toBe(201);
  await library.openFromNav();
  await library.openWorkflow(NAME, TITLE);
  await expect(library.workflow.getByTestId('workflow-version')).toContainText('Version 2 (latest)');
  const diff = library.workflow.getByTestId('version-diff');
  await expect(diff.locator('figcaption')).toHaveText('v1 → v2: 1 line added, 1 removed');
  await expect(diff.locator('[data-diff="added"]')).toContainText('an announcement for prod only.');
  await library.workflow.getByLabel('Compare').selectOption('2');
  await expect(diff.locator('figcaption')).toContainText('(the same document)');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'library-versions');

  // Edit opens the latest version's YAML in the editor, compiled as it loads.
  await library.workflow.getByRole('link', { name: 'Edit' }).click();
  await expect(page).toHaveURL(new RegExp(`/workflows/${NAME}/edit(\\?|$)`));
  await expect(library.yaml).toContainText('an announcement for prod only.');
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
