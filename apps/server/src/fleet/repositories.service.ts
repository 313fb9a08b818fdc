import { randomUUID } from 'node:crypto';
import {
  type RepositoryCredentials,
  type RepositoryDto,
  redactCredentials,
  splitRepositoryUrl,
  withCredentials,
} from '@deploybot/shared';
import type { AuditLog } from '../auth/audit-log';
import type { Clock } from '../engine/ports';
import type { SecretBox } from '../engine/secrets';
import { FleetError } from './agents.service';
import { GitRemoteError, resolveRef } from './git-remote';
import { type RepositoriesStore, type RepositoryRecord, toDto } from './repositories.store';

/**
 * The registry of deployable repositories, and ref → sha resolution against the real remote. Credentials given
 * in a URL are sealed and kept apart from it; they are opened only to hand them to git.
 */
export class RepositoriesService {
  constructor(
    private readonly store: RepositoriesStore,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly secrets: SecretBox,
  ) {}

  async list(): Promise<RepositoryDto[]> {
    return (await this.store.list()).map(toDto);
  }

  async get(name: string): Promise<RepositoryDto> {
    return toDto(await this.record(name));
  }

  async create(input: { name: string; url: string; defaultRef: string }, by: string): Promise<RepositoryDto> {
    const { url, credentials } = splitRepositoryUrl(input.url);
    const repo = await this.store.insert({
      id: randomUUID(),
      name: input.name,
      url,
      credentials: credentials ? this.secrets.seal(JSON.stringify(credentials)) : null,
      defaultRef: input.defaultRef,
      at: this.clock.now().toISOString(),
    });
    if (!repo) throw new FleetError('conflict', `repository ${input.name} is already registered`);
    await this.audit.record(by, 'repository.create', repo.name, {
      url: repo.url,
      hasCredentials: repo.hasCredentials,
      defaultRef: repo.defaultRef,
    });
    return toDto(repo);
  }

  /**
   * Points a repository at a new URL (its credentials with it: rotating a token is a PATCH with the new one in
   * the user-info) and/or a new default ref. Jobs keep the history; later jobs use the new values.
   */
  async update(
    name: string,
    patch: { url?: string; defaultRef?: string },
    by: string,
  ): Promise<RepositoryDto> {
    await this.record(name);
    const split = patch.url === undefined ? null : splitRepositoryUrl(patch.url);
    const repo = await this.store.update(name, {
      url: split?.url,
      credentials: split?.credentials ? this.secrets.seal(JSON.stringify(split.credentials)) : null,
      defaultRef: patch.defaultRef,
    });
    if (!repo) throw new FleetError('not_found', `repository ${name} is not registered`);
    await this.audit.record(by, 'repository.update', repo.name, {
      ...(split && { url: repo.url, hasCredentials: repo.hasCredentials }),
      ...(patch.defaultRef && { defaultRef: repo.defaultRef }),
    });
    return toDto(repo);
  }

  /** Registers the repository unless a repository with that name exists (used for the demo). */
  async ensure(input: { name: string; url: string; defaultRef: string }, by: string): Promise<RepositoryDto> {
    const found = await this.store.getByName(input.name);
    return found ? toDto(found) : this.create(input, by);
  }

  async remove(name: string, by: string): Promise<void> {
    await this.get(name);
    if (!(await this.store.delete(name))) {
      throw new FleetError(
        'conflict',
        `repository ${name} has jobs; it stays registered to keep their history`,
      );
    }
    await this.audit.record(by, 'repository.delete', name);
  }

  /** `git ls-remote` the repository: ref → sha, with a clear error when the repository or ref does not exist. */
  async resolve(name: string, ref: string | undefined, signal?: AbortSignal) {
    const repo = await this.record(name);
    const wanted = ref ?? repo.defaultRef;
    const credentials = this.open(repo);
    return {
      repository: toDto(repo),
      ref: wanted,
      ...(await resolveRef(repo.url, wanted, { signal, credentials })),
    };
  }

  /**
   * The URL with its credentials, for the job assignment only: the agent's git needs them, and the agent takes
   * them out of the URL again before running git. Never shown, logged or stored.
   */
  async urlForAgent(name: string): Promise<string> {
    const repo = await this.record(name);
    return withCredentials(repo.url, this.open(repo));
  }

  /**
   * Seals user-info still found in stored URLs (rows registered before credentials were kept apart) and drops
   * query tokens (git never sent them). Runs at start-up; returns how many rows changed.
   */
  async sealStoredCredentials(): Promise<number> {
    let changed = 0;
    for (const row of await this.store.withCredentialsInUrl()) {
      const split = splitRepositoryUrl(row.url);
      const sealed = split.credentials
        ? this.secrets.seal(JSON.stringify(split.credentials))
        : row.credentials === null
          ? null
          : { $secret: row.credentials };
      if (await this.store.replaceUrl(row.id, row.url, redactCredentials(split.url), sealed)) changed++;
    }
    return changed;
  }

  private async record(name: string): Promise<RepositoryRecord> {
    const repo = await this.store.getByName(name);
    if (!repo) {
      const known = (await this.store.list()).map((r) => r.name);
      throw new FleetError(
        'not_found',
        `repository ${name} is not registered${known.length ? ` (registered: ${known.slice(0, 10).join(', ')})` : ''}`,
      );
    }
    return repo;
  }

  private open(repo: RepositoryRecord): RepositoryCredentials | null {
    if (!repo.credentials) return null;
    try {
      return JSON.parse(this.secrets.open(repo.credentials)) as RepositoryCredentials;
    } catch {
      throw new GitRemoteError(
        'unreachable',
        `the credentials of ${repo.name} cannot be read with the current secret key (DEPLOYBOT_SECRET_KEY changed?)`,
      );
    }
  }
}
