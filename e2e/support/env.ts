import { join } from 'node:path';

/** The repository root (the controller and the agent are started from it). */
export const ROOT = join(import.meta.dirname, '..', '..');
/** Token of the bootstrap admin the controller creates (DEPLOYBOT_ADMIN_TOKEN); the tests sign in with it. */
export const ADMIN_TOKEN = 'dbt_e2e_admin_0123456789abcdefghijklmnop';
/** Where global setup leaves the controller's pid, port and data dir for the tests and the teardown. */
export const STATE_FILE = join(import.meta.dirname, '..', 'test-results', '.controller.json');
export const SCREENSHOTS = join(import.meta.dirname, '..', 'test-results', 'screenshots');

export interface ControllerState {
  pid: number;
  port: number;
  baseUrl: string;
  dataDir: string;
  logFile: string;
}
