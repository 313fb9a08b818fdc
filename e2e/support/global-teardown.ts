import { existsSync, readFileSync, rmSync } from 'node:fs';
import { stopController } from './controller';
import { type ControllerState, STATE_FILE } from './env';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE_FILE)) return;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ControllerState;
  await stopController(state);
  if (!process.env.E2E_KEEP_DATA) rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}
