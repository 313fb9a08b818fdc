// Parallel steps, two gates waiting at once and a skipped step's condition are walked through in the library
// journey (library.spec.ts), from writing the workflow to its timeline.
import { seriousViolations } from '../support/axe';
import { expect, screenshot, test } from '../support/fixtures';

const suffix = Date.now().toString(36);
const QUEUE = `queue_${suffix}`;

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
  const saved = await api.post('/v1/ai/workflows/definitions', { data: QUEUE_DOC });
  expect(saved.status(), await saved.text()).toBe(201);
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
