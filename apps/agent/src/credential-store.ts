import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const STATE_FILE = 'agent-state.json';
/** Where agents before the state dir kept their state: in the work dir, within reach of every step. */
export const LEGACY_STATE_FILE = '.deploybot-agent.json';

const stateSchema = z.object({
  /** The controller and hostname the credential was issued for; it is worthless anywhere else. */
  controller: z.string(),
  hostname: z.string(),
  credential: z.string().min(32).max(200).optional(),
  environment: z.string().max(64).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  updatedAt: z.string().optional(),
});
export type AgentState = z.infer<typeof stateSchema>;

/** Compares controller addresses the way a person means them: `http://h:1/` and `http://h:1` are the same. */
export function normalizeController(url: string): string {
  const u = new URL(url);
  return u.href.replace(/\/+$/, '');
}

/**
 * The agent's persistent state in `STATE_DIR/agent-state.json` (mode 0600): the long-lived credential the
 * controller issued in exchange for the one-time join token, and the environment and labels it assigned.
 * Written to a temp file and renamed, so a crash never leaves a half-written credential behind.
 */
export class CredentialStore {
  readonly file: string;
  /** Updates are read-modify-write; chaining them keeps a credential and a configure from overwriting each other. */
  private writes: Promise<void> = Promise.resolve();

  /** The controllers the agent dials; they share one database, so a credential from one is good on all. */
  private readonly controllers: string[];

  constructor(
    stateDir: string,
    controllers: string | string[],
    private readonly hostname: string,
  ) {
    this.file = path.join(stateDir, STATE_FILE);
    this.controllers = Array.isArray(controllers) ? controllers : [controllers];
  }

  /** The stored state, or null if there is none, it is unreadable, or it belongs to another controller/hostname. */
  async load(): Promise<AgentState | null> {
    const state = await this.loadAny();
    return state && this.matches(state) ? state : null;
  }

  /** Whatever is stored, for whichever controller and hostname; only to explain why it is not used. */
  async loadAny(): Promise<AgentState | null> {
    return readState(this.file);
  }

  /**
   * Moves the state an older agent kept in its work dir here (unless there is state here already) and deletes
   * it there. Returns what became of it, for the log.
   */
  async adoptLegacy(workdir: string): Promise<'moved' | 'discarded' | null> {
    const legacy = path.join(workdir, LEGACY_STATE_FILE);
    const old = await readState(legacy);
    let outcome: 'moved' | 'discarded' | null = null;
    if (old) {
      const here = await this.loadAny();
      if (!here) await this.writeState(old);
      outcome = here ? 'discarded' : 'moved';
    }
    try {
      await unlink(legacy);
      outcome ??= 'discarded';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return outcome;
  }

  async credential(): Promise<string | null> {
    return (await this.load())?.credential ?? null;
  }

  async saveCredential(credential: string): Promise<void> {
    await this.update({ credential });
  }

  async saveConfiguration(environment: string, labels: Record<string, string>): Promise<void> {
    await this.update({ environment, labels });
  }

  private matches(state: AgentState): boolean {
    try {
      const issuer = normalizeController(state.controller);
      return (
        this.controllers.some((c) => normalizeController(c) === issuer) && state.hostname === this.hostname
      );
    } catch {
      return false;
    }
  }

  private update(patch: Partial<AgentState>): Promise<void> {
    const write = this.writes.then(() => this.write(patch));
    this.writes = write.catch(() => {});
    return write;
  }

  private async write(patch: Partial<AgentState>): Promise<void> {
    // State for another controller/hostname is replaced, not merged: its credential means nothing here.
    const current = (await this.load()) ?? {
      controller: normalizeController(this.controllers[0]!),
      hostname: this.hostname,
    };
    await this.writeState({ ...current, ...patch, updatedAt: new Date().toISOString() });
  }

  private async writeState(next: AgentState): Promise<void> {
    const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    // Created 0600 from the start: a chmod after writing would leave a window where others can read it.
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(next, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(tmp, 0o600);
      await rename(tmp, this.file);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw error;
    }
  }
}

async function readState(file: string): Promise<AgentState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const parsed = stateSchema.safeParse(safeJson(text));
  return parsed.success ? parsed.data : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
