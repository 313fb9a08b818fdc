import type { WorkflowRun } from '@deploybot/shared';
import type { WorkflowDefinition } from './types';

/**
 * Every definition version this controller can drive, by name and version and by content hash. New runs take a
 * name's latest version (unless retired); a run is always driven by the version it started with.
 */
export class DefinitionCatalog {
  private readonly versions = new Map<string, Map<number, WorkflowDefinition>>();
  private readonly byHash = new Map<string, WorkflowDefinition>();
  private readonly latestVersion = new Map<string, number>();

  add(def: WorkflowDefinition, opts: { latest: boolean }): void {
    const ids = new Set(def.steps.map((s) => s.id));
    if (ids.size !== def.steps.length) throw new Error(`workflow ${def.name} has duplicate step ids`);
    const versions = this.versions.get(def.name) ?? new Map<number, WorkflowDefinition>();
    const existing = versions.get(def.version);
    if (existing && (!def.hash || existing.hash !== def.hash))
      throw new Error(`duplicate workflow definition ${def.name} v${def.version}`);
    versions.set(def.version, def);
    this.versions.set(def.name, versions);
    if (def.hash) this.byHash.set(def.hash, def);
    if (opts.latest) this.latestVersion.set(def.name, def.version);
  }

  /** No new runs; the versions stay known for the runs that use them. */
  retire(name: string): void {
    this.latestVersion.delete(name);
  }

  get(name: string, version: number): WorkflowDefinition | undefined {
    return this.versions.get(name)?.get(version);
  }

  latestOf(name: string): WorkflowDefinition | undefined {
    const version = this.latestVersion.get(name);
    return version === undefined ? undefined : this.get(name, version);
  }

  latest(): WorkflowDefinition[] {
    return [...this.latestVersion.entries()].map(([name, v]) => this.get(name, v)!);
  }

  /** The version a run executes: by its definition hash, else (older runs) by name and version, else by name. */
  forRun(run: WorkflowRun): WorkflowDefinition | undefined {
    if (run.definitionHash) {
      const pinned = this.byHash.get(run.definitionHash);
      if (pinned) return pinned;
    }
    return this.get(run.name, run.version) ?? this.versions.get(run.name)?.values().next().value;
  }
}
