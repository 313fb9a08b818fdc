import {
  type CompileIssueDto,
  type DefinitionVersionDto,
  type StepKindDto,
  successRateOf,
  type WorkflowDefinitionDto,
  type WorkflowDocument,
  type WorkflowRunStats,
  type WorkflowSummaryDto,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditLog } from '../auth/audit-log';
import type { DefinitionsStore, StoredDefinition } from '../db/definitions.store';
import type { WorkflowEngine } from '../engine/engine';
import { EngineError } from '../engine/errors';
import { compileWorkflow } from '../engine/language/compile';
import { type DocumentFormat, exportDocument, parseDocumentText } from '../engine/language/document';
import type { Clock } from '../engine/ports';
import type { StepKindRegistry } from '../engine/step-kind';
import type { WorkflowDefinition } from '../engine/types';

/** A document that ships with the controller (`apps/server/src/workflows/builtin/*.yaml`). */
export interface BuiltInDocument {
  name: string;
  text: string;
}

/** A document compiled, not stored: what a dry run answers and what `save` stores. */
export type Compiled =
  | { ok: true; definition: WorkflowDefinition; document: WorkflowDocument }
  | { ok: false; issues: CompileIssueDto[] };

/** What the built-ins are stored as: who "wrote" them. */
const BUILT_IN_AUTHOR = 'deploybot';

/**
 * Workflow definitions as data: documents compiled by the step-kind registry, stored as immutable versions,
 * and made known to the engine (every stored version, so a run always finds the version it started with; the
 * latest of each name for new runs). The built-ins are documents too: at start, a built-in whose text changed
 * since it was last stored becomes that name's next version, and runs in flight keep theirs.
 */
export class WorkflowCatalog {
  private readonly builtInNames = new Set<string>();

  constructor(
    private readonly store: DefinitionsStore,
    private readonly engine: WorkflowEngine,
    private readonly registry: StepKindRegistry,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Compiles and registers the built-ins and every stored version. Call once, before the engine recovers. */
  async load(builtIns: BuiltInDocument[]): Promise<void> {
    for (const stored of await this.store.all()) {
      const compiled = this.compileStored(stored);
      if (compiled) this.engine.register(compiled, { latest: false });
    }
    for (const doc of builtIns) {
      const compiled = this.compileText(doc.text, 'yaml', true);
      if (!compiled.ok) {
        // A shipped document that does not compile is a bug in this release: refuse to start rather than limp.
        throw new Error(
          `built-in workflow ${doc.name} does not compile: ${compiled.issues.map((i) => `${i.path}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`).join('; ')}`,
        );
      }
      this.builtInNames.add(compiled.document.name);
      const latest = await this.store.get(compiled.document.name);
      let stored = latest;
      if (!latest || latest.hash !== compiled.definition.hash || latest.deletedAt) {
        stored = await this.store.append(
          {
            ...compiled.document,
            hash: compiled.definition.hash!,
            document: compiled.document,
            builtIn: true,
          },
          BUILT_IN_AUTHOR,
          this.now(),
        );
        // A controller upgrade changed a built-in: audited like any other new version.
        await this.audit.record(
          BUILT_IN_AUTHOR,
          'workflow.definition.save',
          `${stored.name}@${stored.version}`,
          {
            name: stored.name,
            version: stored.version,
            hash: stored.hash,
            builtIn: true,
          },
        );
      }
      const def = this.compileStored(stored!);
      if (def) this.engine.register(def, { latest: false });
    }
    // New runs take each name's latest version, unless the name was deleted: the built-ins first, in the order
    // the UI lists them, then operators' workflows by name.
    const latest = new Map<string, StoredDefinition>();
    for (const stored of await this.store.all()) latest.set(stored.name, stored);
    const others = [...latest.keys()].filter((name) => !this.builtInNames.has(name));
    for (const name of [...this.builtInNames, ...others]) {
      const stored = latest.get(name);
      if (!stored || stored.deletedAt) continue;
      const def = this.engine.definition(stored.name, stored.version);
      if (def) this.engine.register(def, { latest: true });
    }
  }

  /** Parses and compiles a body (YAML or JSON text, or an already parsed JSON object). Nothing is stored. */
  compileText(body: string | object, format: DocumentFormat, builtIn = false, version = 1): Compiled {
    let raw: unknown = body;
    let lines: ((path: ReadonlyArray<string | number>) => number | undefined) | undefined;
    if (typeof body === 'string') {
      const parsed = parseDocumentText(body, format);
      if (!parsed.ok) return { ok: false, issues: parsed.issues };
      raw = parsed.document.value;
      lines = parsed.document.lineOf;
    }
    const compiled = compileWorkflow(raw, this.registry, { version, builtIn, lines });
    return compiled.ok ? compiled : { ok: false, issues: compiled.issues };
  }

  /** Stores a document as its name's next version and makes it the one new runs use. */
  async save(body: string | object, format: DocumentFormat, by: string): Promise<DefinitionVersionDto> {
    const compiled = this.compileText(body, format);
    if (!compiled.ok) throw invalid(compiled.issues);
    const { document, definition } = compiled;
    if (this.builtInNames.has(document.name) || document.name === 'rollback') {
      throw new EngineError(
        'conflict',
        `${document.name} is a built-in workflow and cannot be changed; export it and save it under another name`,
      );
    }
    const stored = await this.store.append(
      { name: document.name, hash: definition.hash!, document, builtIn: false },
      by,
      this.now(),
    );
    const def = this.compileStored(stored);
    if (!def) throw new Error(`stored workflow ${stored.name} v${stored.version} did not compile again`);
    this.engine.register(def, { latest: true });
    await this.audit.record(by, 'workflow.definition.save', `${stored.name}@${stored.version}`, {
      name: stored.name,
      version: stored.version,
      hash: stored.hash,
    });
    return versionDto(stored);
  }

  /** No new runs of `name`; runs in flight go on. */
  async remove(name: string, by: string): Promise<void> {
    if (this.builtInNames.has(name)) {
      throw new EngineError('conflict', `${name} is a built-in workflow and cannot be deleted`);
    }
    if (!(await this.store.markDeleted(name, this.now()))) {
      throw new EngineError('not_found', `no workflow definition named ${name}`);
    }
    this.engine.retire(name);
    await this.audit.record(by, 'workflow.definition.delete', name, { name });
  }

  /** One stored version (the latest without `version`), with the list of all versions and its compiled shape. */
  async get(
    name: string,
    version?: number,
  ): Promise<{
    definition: DefinitionVersionDto;
    document: WorkflowDocument;
    versions: DefinitionVersionDto[];
    workflow: WorkflowDefinitionDto | null;
  }> {
    const stored = await this.stored(name, version);
    const versions = await this.store.versions(name);
    const workflow = this.engine.definitionDto(name, stored.version);
    return {
      definition: versionDto(stored),
      document: stored.document,
      versions: versions.map(versionDto),
      workflow,
    };
  }

  /** The stored document as text that, posted again (under another name too), makes the same workflow. */
  async export(
    name: string,
    format: DocumentFormat,
    version?: number,
  ): Promise<{ text: string; version: number }> {
    const stored = await this.stored(name, version);
    return { text: exportDocument(stored.document, format), version: stored.version };
  }

  /**
   * Every workflow new runs may use, in the order the UI lists them, with its latest version's author and time
   * and how its runs went (counted by the database over every version).
   */
  async library(): Promise<WorkflowSummaryDto[]> {
    const [latest, counts] = await Promise.all([this.store.latestVersions(), this.store.runCountsByName()]);
    const stored = new Map(latest.map((row) => [row.name, row]));
    const runs = new Map<string, WorkflowRunStats>();
    for (const { name, status, count } of counts) {
      const stats = runs.get(name) ?? emptyStats();
      stats.total += count;
      if (status === 'completed' || status === 'failed' || status === 'cancelled') stats[status] += count;
      else stats.active += count;
      runs.set(name, stats);
    }
    const summaries: WorkflowSummaryDto[] = [];
    for (const def of this.engine.definitions()) {
      const row = stored.get(def.name);
      // Every definition new runs may use was loaded from the store; one that was not has no author to show.
      if (!row) continue;
      const stats = runs.get(def.name) ?? emptyStats();
      summaries.push({
        name: def.name,
        title: def.title,
        description: def.description,
        builtIn: def.builtIn ?? false,
        latestVersion: row.version,
        versions: row.versions,
        updatedBy: row.createdBy,
        updatedAt: row.createdAt,
        steps: def.steps.length,
        runs: { ...stats, successRate: successRateOf(stats.completed, stats.failed) },
      });
    }
    return summaries;
  }

  /** Every kind a document may use, with its params and outputs as JSON Schema. */
  stepKinds(): StepKindDto[] {
    return this.registry.list().map((kind) => ({
      uses: `${kind.name}@${kind.version}`,
      name: kind.name,
      version: kind.version,
      title: kind.title,
      description: kind.description,
      params: jsonSchemaOf(kind.params),
      outputs: jsonSchemaOf(kind.outputs),
      gate: kind.gate === 'always' ? 'always' : 'optional',
      hasPlan: kind.plan !== undefined,
      asksForInput: kind.ask !== undefined,
      compensable: kind.compensate !== undefined,
      durableWait: kind.resume !== undefined,
    }));
  }

  isBuiltIn(name: string): boolean {
    return this.builtInNames.has(name);
  }

  private async stored(name: string, version?: number): Promise<StoredDefinition> {
    const stored = await this.store.get(name, version);
    if (!stored) {
      throw new EngineError(
        'not_found',
        version === undefined
          ? `no workflow definition named ${name}`
          : `workflow ${name} has no version ${version}`,
      );
    }
    return stored;
  }

  /** A stored version compiled with today's kinds; logged and skipped when a kind it uses is gone. */
  private compileStored(stored: StoredDefinition): WorkflowDefinition | null {
    const compiled = compileWorkflow(stored.document, this.registry, {
      version: stored.version,
      builtIn: stored.builtIn,
    });
    if (!compiled.ok) {
      this.logger.error(
        { workflow: stored.name, version: stored.version, issues: compiled.issues },
        'a stored workflow version no longer compiles; its runs cannot be driven',
      );
      return null;
    }
    // Runs are pinned by the hash stored with the version (the same document hashes the same).
    return { ...compiled.definition, hash: stored.hash };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

function emptyStats(): WorkflowRunStats {
  return { total: 0, completed: 0, failed: 0, cancelled: 0, active: 0, successRate: null };
}

function versionDto(s: StoredDefinition): DefinitionVersionDto {
  return {
    name: s.name,
    version: s.version,
    hash: s.hash,
    builtIn: s.builtIn,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    deletedAt: s.deletedAt,
  };
}

/** The compile problems as the one error shape's `details`, the first one in the message. */
export function invalid(issues: CompileIssueDto[]): EngineError {
  const first = issues[0];
  const where = first
    ? `${first.path || 'document'}${first.line ? ` (line ${first.line})` : ''}: ${first.message}`
    : '';
  return new EngineError(
    'validation_failed',
    `invalid workflow: ${where}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    issues,
  );
}

function jsonSchemaOf(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}
