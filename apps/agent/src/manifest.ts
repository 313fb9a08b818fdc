import { open } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const MANIFEST_FILES = ['deploybot.yml', 'deploybot.yaml'] as const;
export const DEFAULT_STEP_TIMEOUT_SEC = 600;
const MAX_MANIFEST_BYTES = 256 * 1024;

export class ManifestError extends Error {}

const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

// YAML turns `PORT: 8080` and `DEBUG: true` into a number and a boolean; an env var is text either way.
// Keys are checked by hand: zod's record key errors only say "Invalid key in record".
const envSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .superRefine((env, ctx) => {
    for (const key of Object.keys(env)) {
      if (!ENV_KEY_RE.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'environment variable names are letters, digits and _, not starting with a digit',
        });
      } else if (key.startsWith('DEPLOYBOT_')) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'DEPLOYBOT_* variables are set by the agent' });
      }
    }
  });

const stepSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,99}$/, 'step names are 1-100 letters, digits, spaces and . _ : -'),
  run: z.string().trim().min(1, 'run must be a non-empty shell command').max(65_536),
  timeout: z.number().int().positive().max(86_400).default(DEFAULT_STEP_TIMEOUT_SEC),
  env: envSchema.default({}),
});

export const manifestSchema = z
  .strictObject({
    env: envSchema.default({}),
    keep_releases: z.number().int().min(1).max(100).optional(),
    steps: z.array(stepSchema).min(1, 'a manifest needs at least one step').max(100),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>();
    manifest.steps.forEach((step, i) => {
      if (seen.has(step.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'name'],
          message: `duplicate step name "${step.name}"`,
        });
      }
      seen.add(step.name);
    });
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestStep = Manifest['steps'][number];

/** Parses manifest text; every problem becomes one readable message naming the field at fault. */
export function parseManifest(text: string, file = 'deploybot.yml'): Manifest {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ManifestError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) throw new ManifestError(`${file} is empty`);
  const result = manifestSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = formatPath(issue.path);
      return where ? `${where}: ${issue.message}` : issue.message;
    });
    throw new ManifestError(`${file}: ${problems.join('; ')}`);
  }
  return result.data;
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`))
    .join('');
}

/** Reads the manifest at the root of a release. */
export async function loadManifest(releaseDir: string): Promise<{ file: string; manifest: Manifest }> {
  for (const file of MANIFEST_FILES) {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path.join(releaseDir, file), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ManifestError(`cannot read ${file}: ${(error as Error).message}`);
    }
    try {
      const { size } = await handle.stat();
      if (size > MAX_MANIFEST_BYTES)
        throw new ManifestError(`${file} is larger than ${MAX_MANIFEST_BYTES} bytes`);
      const text = await handle.readFile('utf8');
      return { file, manifest: parseManifest(text, file) };
    } finally {
      await handle.close();
    }
  }
  throw new ManifestError(`no ${MANIFEST_FILES.join(' or ')} at the root of the repository`);
}
