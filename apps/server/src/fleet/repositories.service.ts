import { randomUUID } from 'node:crypto';
import type { RepositoryDto } from '@deploybot/shared';
import type { AuditLog } from '../auth/audit-log';
import type { Clock } from '../engine/ports';
import { FleetError } from './agents.service';
import { resolveRef } from './git-remote';
import type { RepositoriesStore } from './repositories.store';

/** The registry of deployable repositories, and ref → sha resolution against the real remote. */
export class RepositoriesService {
  constructor(
    private readonly store: RepositoriesStore,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  list(): Promise<RepositoryDto[]> {
    return this.store.list();
  }

  async get(name: string): Promise<RepositoryDto> {
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

  async create(input: { name: string; url: string; defaultRef: string }, by: string): Promise<RepositoryDto> {
    const repo = await this.store.insert({ id: randomUUID(), ...input, at: this.clock.now().toISOString() });
    if (!repo) throw new FleetError('conflict', `repository ${input.name} is already registered`);
    await this.audit.record(by, 'repository.create', repo.name, {
      url: repo.url,
      defaultRef: repo.defaultRef,
    });
    return repo;
  }

  /** Registers the repository unless a repository with that name exists (used for the demo). */
  async ensure(input: { name: string; url: string; defaultRef: string }, by: string): Promise<RepositoryDto> {
    return (await this.store.getByName(input.name)) ?? this.create(input, by);
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
    const repo = await this.get(name);
    const wanted = ref ?? repo.defaultRef;
    return { repository: repo, ref: wanted, ...(await resolveRef(repo.url, wanted, { signal })) };
  }
}
