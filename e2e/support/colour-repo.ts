import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIRequestContext } from '@playwright/test';

/** A manifest whose steps print ANSI colours (green, bold red) and take a moment, like a real build's tools do. */
const MANIFEST = `steps:
  - name: build
    run: |
      printf '\\033[32mcompiled ok\\033[0m\\n'
      sleep 1
  - name: test
    run: |
      printf '\\033[1;31mwarning: colourful output\\033[0m plain tail\\n'
      echo "all tests passed"
`;

export const COLOUR_REPO = 'e2e/colours';

function git(dir: string, ...args: string[]): void {
  const res = spawnSync(
    'git',
    [
      '-C',
      dir,
      '-c',
      'user.name=E2E',
      '-c',
      'user.email=e2e@deploybot.invalid',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
}

/**
 * Creates (once per controller) a git repository next to the controller's data whose deploy prints colours, and
 * registers it as `e2e/colours` (a 409 means an earlier test of this run already did).
 */
export async function ensureColourRepository(api: APIRequestContext, dataDir: string): Promise<string> {
  const dir = join(dataDir, 'e2e-repos', 'colours');
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '--quiet', '--initial-branch=main');
    writeFileSync(join(dir, 'deploybot.yml'), MANIFEST);
    git(dir, 'add', '--all');
    git(dir, 'commit', '--quiet', '-m', 'colourful build');
  }
  const res = await api.post('/v1/repositories', { data: { name: COLOUR_REPO, url: dir } });
  if (res.status() !== 201 && res.status() !== 409) {
    throw new Error(`registering ${COLOUR_REPO}: ${res.status()} ${await res.text()}`);
  }
  return dir;
}
