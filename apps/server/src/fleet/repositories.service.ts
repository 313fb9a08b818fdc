import { randomUUID } from 'node:crypto';
import type { RepositoryDto } from '@deploybot/shared';
import type { Clock } from '../engine/ports';
import { FleetError } from './agents.service';
import { resolveRef } from './git-remote';
import type { RepositoriesStore } from './repositories.store';

/** The registry of deployable repositories, and ref → sha resolution against the real remote. */
export class RepositoriesService {
  constructor(
    private readonly store: RepositoriesStore,
    private readonly clock: Clock,
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

  async create(input: { name: string; url: string; defaultRef: string }): Promise<RepositoryDto> {
    const repo = await this.store.insert({ id: randomUUID(), ...input, at: this.clock.now().toISOString() });
    if (!repo) throw new FleetError('conflict', `repository ${input.name} is already registered`);
    return repo;
  }

  /** Registers the repository unless a repository with that name exists (used for the demo). */
  async ensure(input: { name: string; url: string; defaultRef: string }): Promise<RepositoryDto> {
    return (await this.store.getByName(input.name)) ?? this.create(input);
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    if (!(await this.store.delete(name))) {
      throw new FleetError(
        'conflict',
        `repository ${name} has jobs; it stays registered to keep their history`,
      );
    }
  }

  /** `git ls-remote` the repository: ref → sha, with a clear error when the repository or ref does not exist. */
  async resolve(name: string, ref: string | undefined, signal?: AbortSignal) {
    const repo = await this.get(name);
    const wanted = ref ?? repo.defaultRef;
    return { repository: repo, ref: wanted, ...(await resolveRef(repo.url, wanted, { signal })) };
  }
}
