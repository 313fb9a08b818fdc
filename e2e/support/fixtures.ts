import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type APIRequestContext, test as base, type Page, request } from '@playwright/test';
import { AppPage } from '../pages/app-page';
import { AgentProcess } from './agent-process';
import { ADMIN_TOKEN, type ControllerState, SCREENSHOTS, STATE_FILE } from './env';

/**
 * Network errors the app expects and handles, which Chromium still logs as console errors: a 401 from
 * /v1/auth/me on the login page, a 404 for a conversation another tab just deleted, and the workflow editor's
 * dry run answering 400 with the problems of a document being typed.
 */
const EXPECTED_FAILED_RESOURCES = [
  /\/v1\/auth\/me$/,
  /\/v1\/ai\/sessions/,
  /\/v1\/ai\/workflows\/definitions\?dry_run=true$/,
];

export function watchConsole(page: Page, errors: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location().url;
    if (
      msg.text().startsWith('Failed to load resource') &&
      EXPECTED_FAILED_RESOURCES.some((re) => re.test(url))
    )
      return;
    // Only the reconnect test goes offline on purpose (context.setOffline).
    if (msg.text().includes('net::ERR_INTERNET_DISCONNECTED')) return;
    errors.push(`${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

interface Fixtures {
  app: AppPage;
  agent: AgentProcess;
  consoleErrors: string[];
}
interface WorkerFixtures {
  controller: ControllerState;
  api: APIRequestContext;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  controller: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use) => use(JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ControllerState),
    { scope: 'worker' },
  ],
  api: [
    async ({ controller }, use) => {
      const ctx = await request.newContext({
        baseURL: controller.baseUrl,
        extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      await use(ctx);
      await ctx.dispose();
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ controller }, use) => use(controller.baseUrl),
  consoleErrors: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    watchConsole(page, errors);
    await use(errors);
    if (testInfo.status === testInfo.expectedStatus && errors.length > 0) {
      throw new Error(`console errors:\n${errors.join('\n')}`);
    }
  },
  app: async ({ page, consoleErrors: _watched }, use) => {
    const app = new AppPage(page);
    await app.signIn(ADMIN_TOKEN);
    await use(app);
  },
  agent: async (
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    {},
    use,
  ) => {
    const agent = new AgentProcess();
    await use(agent);
    await agent.stop();
  },
});

export { expect } from '@playwright/test';
