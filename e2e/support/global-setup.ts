import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildWebIfNeeded, startController } from './controller';
import { STATE_FILE } from './env';

/** Builds the web app if needed and starts the real controller; the tests read where from the state file. */
export default async function globalSetup(): Promise<void> {
  buildWebIfNeeded();
  const state = await startController();
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state));
  process.env.E2E_BASE_URL = state.baseUrl;
  console.log(`controller on ${state.baseUrl} (data ${state.dataDir}, log ${state.logFile})`);
}
