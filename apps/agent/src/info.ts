import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, statfs, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentInfo, ConfigureResult } from '@deploybot/shared';
import { gitVersion } from './git';

export const AGENT_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
})();

/** Below this much free space a checkout or build is likely to fail half-way. */
const MIN_FREE_BYTES = 512 * 1024 * 1024;

/** Actually writes a file: permission bits alone do not tell about read-only mounts, quotas or a full disk. */
export async function probeWritable(workdir: string): Promise<{ ok: boolean; detail: string }> {
  const probe = path.join(workdir, `.deploybot-write-test-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(workdir, { recursive: true });
    await writeFile(probe, 'ok');
    await unlink(probe);
    return { ok: true, detail: `${workdir} is writable` };
  } catch (error) {
    await unlink(probe).catch(() => {});
    return { ok: false, detail: `${workdir} is not writable: ${(error as Error).message}` };
  }
}

export async function collectInfo(workdir: string, runningJobs: string[]): Promise<AgentInfo> {
  return (await inspect(workdir, runningJobs)).info;
}

async function inspect(workdir: string, runningJobs: string[]) {
  const [git, writable] = await Promise.all([gitVersion(), probeWritable(workdir)]);
  const info: AgentInfo = {
    version: AGENT_VERSION,
    gitVersion: git,
    workdir,
    workdirWritable: writable.ok,
    platform: `${process.platform}-${process.arch}`,
    nodeVersion: process.version,
    runningJobs: runningJobs.slice(0, 100),
  };
  return { info, writable };
}

/** The installation self-check answered to `agent:configure`. */
export async function checkInstallation(workdir: string, runningJobs: string[]): Promise<ConfigureResult> {
  const { info, writable } = await inspect(workdir, runningJobs);
  const checks: ConfigureResult['checks'] = [
    {
      name: 'git',
      ok: info.gitVersion !== null,
      detail: info.gitVersion ? `git ${info.gitVersion}` : 'git was not found on PATH',
    },
    { name: 'workdir', ok: writable.ok, detail: writable.detail },
    await diskCheck(workdir),
  ];
  return { info, checks };
}

async function diskCheck(workdir: string): Promise<ConfigureResult['checks'][number]> {
  try {
    const stats = await statfs(workdir);
    const free = stats.bavail * stats.bsize;
    const mib = Math.floor(free / (1024 * 1024));
    return {
      name: 'disk',
      ok: free >= MIN_FREE_BYTES,
      detail: `${mib} MiB free in ${workdir}${free < MIN_FREE_BYTES ? ' (less than 512 MiB)' : ''}`,
    };
  } catch (error) {
    return { name: 'disk', ok: false, detail: `cannot read free space: ${(error as Error).message}` };
  }
}
