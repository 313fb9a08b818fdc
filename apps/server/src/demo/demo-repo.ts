import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from '../fleet/git-remote';

const MANIFEST = `# DeployBot deploy manifest: named shell steps run in the release directory, in order.
env:
  GREETING: Hello from DeployBot
steps:
  - name: build
    run: |
      echo "building $DEPLOYBOT_REPOSITORY at $DEPLOYBOT_SHA"
      mkdir -p build && cp index.html VERSION build/
  - name: test
    run: |
      grep -q "Hello" build/index.html && echo "smoke test passed"
    timeout: 30
  - name: release
    run: |
      echo "$GREETING, released version $(cat VERSION)"
`;

const FILES: Record<string, string> = {
  'deploybot.yml': MANIFEST,
  'index.html': '<!doctype html><title>hello-app</title><h1>Hello, world</h1>\n',
  VERSION: '1.0.0\n',
  'README.md': '# hello-app\n\nThe demo application DeployBot deploys out of the box. See deploybot.yml.\n',
};

const AUTHOR = [
  '-c',
  'user.name=DeployBot Demo',
  '-c',
  'user.email=demo@deploybot.invalid',
  '-c',
  'commit.gpgsign=false',
];

/**
 * Creates the demo repository once: `main` deploys cleanly, `broken` fails its test step (to try
 * troubleshoot_failure), and tag `v1.0.0` points at main. Returns its path, which git can fetch from.
 */
export async function ensureDemoRepository(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'demo', 'hello-app');
  if (existsSync(join(dir, '.git'))) return dir;
  await mkdir(dir, { recursive: true });
  const git = (...args: string[]) => runGit(['-C', dir, ...AUTHOR, ...args]);
  await git('init', '--quiet', '--initial-branch=main');
  for (const [name, content] of Object.entries(FILES)) await writeFile(join(dir, name), content);
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'hello-app 1.0.0');
  await git('tag', 'v1.0.0');
  await git('checkout', '--quiet', '-b', 'broken');
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>hello-app</title><h1>Goodbye</h1>\n');
  await git('commit', '--quiet', '-am', 'break the smoke test');
  await git('checkout', '--quiet', 'main');
  return dir;
}
