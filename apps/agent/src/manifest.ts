import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
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

/**
 * Reads the manifest at the root of a release. The file is the repository's: it may be a symbolic link, which is
 * followed only to a regular file inside the release. Otherwise a repository could make the agent read (and quote
 * in its error) any file the agent's user can, or hang it on a device or a FIFO.
 */
export async function loadManifest(releaseDir: string): Promise<{ file: string; manifest: Manifest }> {
  for (const file of MANIFEST_FILES) {
    const target = await manifestTarget(releaseDir, file);
    if (!target) continue;
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      // O_NOFOLLOW: the target was resolved above, so a symbolic link here is one swapped in since.
      handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      throw new ManifestError(`cannot read ${file}: ${(error as Error).message}`);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new ManifestError(`${file} is not a regular file`);
      if (stats.size > MAX_MANIFEST_BYTES)
        throw new ManifestError(`${file} is larger than ${MAX_MANIFEST_BYTES} bytes`);
      const text = await handle.readFile('utf8');
      return { file, manifest: parseManifest(text, file) };
    } finally {
      await handle.close();
    }
  }
  throw new ManifestError(`no ${MANIFEST_FILES.join(' or ')} at the root of the repository`);
}

/** The path to read for `file`, null if there is none; a symbolic link leading out of the release is refused. */
async function manifestTarget(releaseDir: string, file: string): Promise<string | null> {
  const candidate = path.join(releaseDir, file);
  try {
    if (!(await lstat(candidate)).isSymbolicLink()) return candidate;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ManifestError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let target: string;
  try {
    target = await realpath(candidate);
  } catch {
    throw new ManifestError(`${file} is a symbolic link to nothing in the repository`);
  }
  const root = await realpath(releaseDir);
  const rel = path.relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new ManifestError(
      `${file} is a symbolic link that leads out of the repository; the agent reads only files inside it`,
    );
  }
  return target;
}
