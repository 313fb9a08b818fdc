import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The controller's own workflows, as documents in the workflow language (YAML files beside this module, compiled
 * like any operator's template). Read once at module load: the build copies them beside the bundle (build.ts),
 * and a document that is missing fails the start rather than the first run.
 */
const NAMES = ['register_agent', 'deploy_application', 'troubleshoot_failure', 'health_check'] as const;

export type BuiltInName = (typeof NAMES)[number];

/** In the order the UI lists them. */
export const BUILT_IN_DOCUMENTS: Array<{ name: BuiltInName; text: string }> = NAMES.map((name) => ({
  name,
  text: readFileSync(join(import.meta.dirname, `${name}.yaml`), 'utf8'),
}));
