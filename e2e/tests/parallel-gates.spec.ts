import { seriousViolations } from '../support/axe';
import { expect, screenshot, test } from '../support/fixtures';

const suffix = Date.now().toString(36);
const PARALLEL = `par_${suffix}`;
const QUEUE = `queue_${suffix}`;

/**
 * Two durable timers at once, then two gates that wait at once, then a step whose `if` is false for a staging
 * release: no agent needed.
 */
const PARALLEL_DOC = {
  name: PARALLEL,
  title: `Parallel gates ${suffix}`,
  description: 'Two builds at once, two sign-offs at once, an announcement only for prod.',
  inputs: [{ key: 'env', label: 'Environment', type: 'text', required: true }],
  steps: [
    { id: 'build_a', title: 'Build A', uses: 'wait', needs: [], with: { duration: '6s' } },
    { id: 'build_b', title: 'Build B', uses: 'wait', needs: [], with: { duration: '6s' } },
    {
      id: 'qa',
      title: 'QA sign-off',
      uses: 'approval',
      needs: ['build_a', 'build_b'],
      with: { message: 'QA has tested both builds' },
    },
    {
      id: 'ops',
      title: 'Ops sign-off',
      uses: 'approval',
      needs: ['build_a', 'build_b'],
      with: { message: 'Ops is ready for the release' },
    },
    {
      id: 'announce',
      title: 'Announce the release',
      uses: 'set',
      needs: ['qa', 'ops'],
      if: 'inputs.env == "prod"',
      with: { announced: true },
    },
  ],
};

/** One run per target at a time; a second start queues behind the first (which holds at its gate). */
const QUEUE_DOC = {
  name: QUEUE,
  title: `Queued release ${suffix}`,
  run_title: 'Release ${{ inputs.target }}',
  inputs: [{ key: 'target', label: 'Target', type: 'text', required: true }],
  concurrency: { key: '${{ inputs.target }}', on_conflict: 'queue' },
  steps: [{ id: 'go', title: 'Go ahead', uses: 'approval', with: { message: 'Release it?' } }],
};

test.beforeAll(async ({ api }) => {
  for (const doc of [PARALLEL_DOC, QUEUE_DOC]) {
    const saved = await api.post('/v1/ai/workflows/definitions', { data: doc });
    expect(saved.status(), await saved.text()).toBe(201);
  }
});

test('parallel steps run at the same time, two gates wait at once and are approved one by one, a false if skips', async ({
  app,
}) => {
  const { page, sidebar } = app;
  // The templates were saved before the page loaded: the selector lists them.
  await sidebar.startWorkflow(PARALLEL, { env: 'staging' });

  // Both timers are active at once: the group says so in words, each step is marked.
  const builds = sidebar.parallelGroup('build_a');
  await expect(builds).toHaveAttribute('data-active', '2');
  await expect(builds).toContainText('Running in parallel: 2 of 2 steps at the same time');
  await sidebar.expectStep('build_a', 'awaiting_event');
  await sidebar.expectStep('build_b', 'awaiting_event');
  await expect(sidebar.step('build_a').getByTestId('parallel-mark')).toHaveText('· in parallel');
  await expect(sidebar.step('build_b').getByTestId('parallel-mark')).toHaveText('· in parallel');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'parallel-steps-running');

  // Both gates wait at once, each with its own panel and its own buttons.
  await sidebar.expectStep('qa', 'awaiting_approval', 30_000);
  await sidebar.expectStep('ops', 'awaiting_approval');
  await sidebar.expectRun('waiting');
  await expect(sidebar.parallelGroup('qa')).toContainText(
    'Running in parallel: 2 of 2 steps at the same time',
  );
  await expect(sidebar.runView.getByTestId('approval-panel')).toHaveCount(2);
  await expect(sidebar.runView.getByRole('region', { name: 'Approval for QA sign-off' })).toContainText(
    'QA has tested both builds',
  );
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'parallel-gates-waiting');

  await sidebar.step('ops').getByTestId('approval-note').fill('ops ready');
  await sidebar.approveButton('Ops sign-off').click();
  await sidebar.expectStep('ops', 'completed');
  // The other gate still waits, untouched by the first decision.
  await sidebar.expectStep('qa', 'awaiting_approval');
  await expect(sidebar.runView.getByTestId('approval-panel')).toHaveCount(1);
  await sidebar.approveButton('QA sign-off').click();

  await sidebar.expectRun('completed', 30_000);
  await sidebar.expectStep('announce', 'skipped');
  await expect(sidebar.step('announce').getByTestId('skipped-condition')).toHaveText(
    'Skipped: inputs.env == "prod" was false',
  );
  await expect(sidebar.step('ops').getByTestId('step-decisions')).toContainText('Approved by admin');
  await expect(sidebar.step('ops').getByTestId('step-decisions')).toContainText('ops ready');
  await expect(sidebar.progressText).toHaveText('100%');
  await expect(sidebar.runView.getByTestId('progress-detail')).toHaveText('5 of 5 steps done · 1 skipped');
  expect(await seriousViolations(page)).toEqual([]);

  // The run page shows the same condition at the skipped step.
  await sidebar.runView.getByTestId('open-run-page').click();
  const skipped = page.getByTestId('run-step-announce');
  await expect(skipped).toHaveAttribute('data-status', 'skipped');
  await expect(skipped.getByTestId('skipped-condition')).toHaveText(
    'Skipped: inputs.env == "prod" was false',
  );
});

test('a second run with the same concurrency key is queued behind the first, and starts when it ends', async ({
  app,
}) => {
  const { page, sidebar } = app;
  const target = `web-${suffix}`;
  const first = await sidebar.startWorkflow(QUEUE, { target });
  await sidebar.expectStep('go', 'awaiting_approval');
  await sidebar.expectRun('waiting');

  // Closed first, so the run view that appears next is the new run's.
  await sidebar.root.getByRole('button', { name: 'Close run' }).click();
  await expect(sidebar.runView).toHaveCount(0);
  const second = await sidebar.startWorkflow(QUEUE, { target });
  expect(second).not.toBe(first);
  await sidebar.expectRun('queued');
  const note = sidebar.queuedBehind;
  await expect(note).toHaveAttribute('data-holder', first);
  await expect(note).toContainText(`Queued behind Release ${target} (run ${first.slice(0, 8)})`);
  // The key as the engine holds it: scoped by the workflow's name.
  await expect(note.getByTestId('queued-key')).toHaveText(`${QUEUE}:${target}`);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'queued-behind');

  // The link opens the run it waits for.
  await note.getByRole('link', { name: `Release ${target} (run ${first.slice(0, 8)})` }).click();
  // (the sidebar keeps the run it shows in the address's ?run=)
  await expect(page).toHaveURL(new RegExp(`/runs/${first}(\\?|$)`));

  // Once the first run ends, the queued one starts by itself and reaches its own gate.
  await app.openRun(first);
  await sidebar.approve('go');
  await sidebar.expectRun('completed', 30_000);
  await app.openRun(second);
  await sidebar.expectStep('go', 'awaiting_approval', 30_000);
  await expect(sidebar.queuedBehind).toHaveCount(0);
  await sidebar.approve('go');
  await sidebar.expectRun('completed', 30_000);
});
