import { seriousViolations } from '../support/axe';
import { deployDemoOverRest } from '../support/demo-deploy';
import { expect, screenshot, test } from '../support/fixtures';

/**
 * The chat follows the workflow library (issue 13, item 6), with the offline `local` assistant: an operator's
 * saved template started by the words of its title, its input asked for like a built-in's; and "roll back the
 * last deploy of …" after a real deploy: the plan, then Start rollback, then the rollback run's own gate.
 */

/** A template saved over the REST API, as an operator would: one input, one step. */
const WARMUP = {
  name: 'cache_warmup',
  title: 'Nightly cache warm-up',
  description: 'Warms the CDN cache of one region before the morning traffic.',
  inputs: [{ key: 'region', label: 'Region', type: 'text', required: true }],
  steps: [
    { id: 'wait_quiet', title: 'Wait for a quiet moment', uses: 'wait', with: { duration: '1s' } },
    {
      id: 'warm',
      title: 'Warm the cache',
      uses: 'set',
      needs: ['wait_quiet'],
      with: { warmed: '${{ inputs.region }}' },
    },
  ],
};

interface Run {
  id: string;
  status: string;
  steps: { id: string; status: string }[];
}

test.beforeAll(async ({ api }) => {
  const saved = await api.post('/v1/ai/workflows/definitions', { data: WARMUP });
  expect(saved.status(), await saved.text()).toBe(201);
});

test('the chat starts a saved template named in plain words, asks for its input, and narrates it to the end', async ({
  app,
}) => {
  const { chat, page, sidebar } = app;
  await page.getByTestId('new-chat').click();
  await chat.send('run the nightly cache warm-up');
  // Asked like a built-in's slot: which region.
  await expect(chat.assistantSaying('Nightly cache warm-up needs Region')).toBeVisible();
  await chat.send('eu-west');
  const started = chat.assistantSaying('Starting Nightly cache warm-up with region eu-west');
  await expect(started).toBeVisible();

  // Narrated step by step, then the end.
  await expect(chat.assistantSaying(/Warm the cache.*✓/)).toBeVisible({ timeout: 30_000 });
  await expect(chat.assistantSaying('Nightly cache warm-up completed (2/2 steps)')).toBeVisible();
  await started.getByRole('button', { name: 'Open run', exact: true }).click();
  await sidebar.expectRun('completed');
  await screenshot(page, 'chat-library-template-completed');
});

test('"roll back the last deploy of demo/hello-app": the plan, Start rollback, and the rollback run waits at its gate', async ({
  app,
  api,
}) => {
  test.setTimeout(180_000);
  const { chat, page, sidebar } = app;
  // Two deploys: the second replaces the release the first made live, so undoing it has somewhere to go.
  await deployDemoOverRest(api);
  const deploy = await deployDemoOverRest(api);
  const rollbackRuns = async () =>
    ((await (await api.get('/v1/ai/workflows/history?workflow=rollback')).json()) as { runs: Run[] }).runs;
  const before = (await rollbackRuns()).length;

  await page.getByTestId('new-chat').click();
  await chat.send('roll back the last deploy of demo/hello-app');
  const proposal = chat.assistantSaying('would undo, most recent first');
  await expect(proposal).toContainText(deploy.id.slice(0, 8));
  await expect(proposal).toContainText(
    "Create deployment job — switch demo-agent's demo/hello-app back to the release that was live before job",
  );
  await expect(proposal).toContainText('Nothing has been started');
  expect(await seriousViolations(page)).toEqual([]);
  // The proposal started nothing.
  expect((await rollbackRuns()).length).toBe(before);

  await proposal.getByRole('button', { name: 'Start rollback' }).click();
  await expect(proposal.getByRole('button', { name: 'Rollback started' })).toBeDisabled();
  expect((await rollbackRuns()).length).toBe(before + 1);

  // The rollback run opens in the sidebar and waits for a person at its gate; the chat narrates it.
  await sidebar.expectStep('review_plan', 'awaiting_approval', 30_000);
  const gate = chat.assistantSaying('APPROVAL NEEDED');
  await expect(gate).toContainText('Approve “');
  await expect(gate.getByRole('button', { name: 'Approve' })).toBeVisible();
  await screenshot(page, 'chat-library-rollback-gate');

  // A person approves in the chat: the deploy's job step is undone.
  await gate.getByRole('button', { name: 'Approve' }).click();
  await sidebar.expectRun('completed', 60_000);
  const undone = (await (await api.get(`/v1/ai/workflows/${deploy.id}`)).json()) as Run;
  expect(undone.steps.find((s) => s.id === 'create_job')?.status).toBe('compensated');
});
