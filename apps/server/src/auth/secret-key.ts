import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SecretBox } from '../engine/secrets';

/**
 * The key that seals secret inputs: DEPLOYBOT_SECRET_KEY (32 bytes, base64) when set — do set it with
 * PostgreSQL, so the key never sits next to the data — otherwise `<dataDir>/secret.key`, created once (0600).
 */
export async function loadSecretBox(envKey: string | undefined, dataDir: string): Promise<SecretBox> {
  if (envKey) return new SecretBox(Buffer.from(envKey, 'base64'));
  if (dataDir === 'memory://') return SecretBox.ephemeral();
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err; // another controller created it first
      },
    );
  }
  return new SecretBox(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'));
}
