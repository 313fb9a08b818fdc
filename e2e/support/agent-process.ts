import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from './env';

/**
 * Reads the start command the register_agent run shows: optional `NAME=value` environment assignments (the join
 * token may travel as DEPLOYBOT_TOKEN), then `node <bin> --controller … --hostname … [--token …] --workdir …`.
 */
export function parseAgentCommand(command: string): {
  env: Record<string, string>;
  bin: string;
  args: string[];
  token: string;
  hostname: string;
  workdir: string;
} {
  const parts = command.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (parts[0] && /^[A-Z_][A-Z0-9_]*=/.test(parts[0])) {
    const [name, ...value] = parts.shift()!.split('=');
    env[name!] = value.join('=');
  }
  if (parts[0] !== 'node' || !parts[1]) throw new Error(`unexpected agent command: ${command}`);
  const flag = (name: string) => {
    const i = parts.indexOf(`--${name}`);
    return i >= 0 ? parts[i + 1] : undefined;
  };
  const need = (name: string, value: string | undefined) => {
    if (!value) throw new Error(`${name} missing from: ${command}`);
    return value;
  };
  return {
    env,
    bin: parts[1],
    args: parts.slice(2),
    token: need('the join token', flag('token') ?? env.DEPLOYBOT_TOKEN),
    hostname: need('--hostname', flag('hostname')),
    workdir: need('--workdir', flag('workdir')),
  };
}

/** A real agent process started from the command the UI shows; stop() kills its whole process group. */
export class AgentProcess {
  private child: ChildProcess | null = null;
  output = '';

  start(command: string): void {
    const { env, bin, args } = parseAgentCommand(command);
    this.child = spawn('node', [bin, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
}
