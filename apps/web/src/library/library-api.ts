import {
  type CompileIssueDto,
  type DefinitionVersionDto,
  type DryRunResponse,
  dryRunResponseSchema,
  type StepKindDto,
  type WorkflowDefinitionDto,
  type WorkflowDocument,
  type WorkflowSummaryDto,
  workflowLibraryResponseSchema,
} from '@deploybot/shared';
import { ApiError, api, apiText, errorMessage, fetchText } from '../lib/api';
import { loadDefinitions } from '../workflows/workflow-actions';

const base = '/v1/ai/workflows';
const YAML = 'application/yaml';

export async function loadLibrary(): Promise<WorkflowSummaryDto[]> {
  return workflowLibraryResponseSchema.parse(await api('GET', `${base}/library`)).workflows;
}

/** One stored version (the latest without `version`), its document and every version of its name. */
export interface StoredWorkflow {
  definition: DefinitionVersionDto;
  document: WorkflowDocument;
  versions: DefinitionVersionDto[];
  workflow: WorkflowDefinitionDto | null;
}

export function loadWorkflow(name: string, version?: number): Promise<StoredWorkflow> {
  const query = version === undefined ? '' : `?version=${version}`;
  return api<StoredWorkflow>('GET', `${base}/definitions/${encodeURIComponent(name)}${query}`);
}

export function exportPath(name: string, version?: number): string {
  const query = version === undefined ? '' : `&version=${version}`;
  return `${base}/definitions/${encodeURIComponent(name)}/export?format=yaml${query}`;
}

/** The document as the controller exports it (YAML): what Export downloads and what the diff compares. */
export function exportYaml(name: string, version?: number): Promise<string> {
  return fetchText(exportPath(name, version));
}

let kinds: Promise<StepKindDto[]> | null = null;
/** The step kinds a document may use (loaded once: they change only with the controller). */
export function loadStepKinds(): Promise<StepKindDto[]> {
  kinds ??= api<{ kinds: StepKindDto[] }>('GET', `${base}/step-kinds`).then(
    (r) => r.kinds,
    (err) => {
      kinds = null;
      throw err;
    },
  );
  return kinds;
}

/** A JSON file is sent as JSON, anything else as YAML text (the controller reads both). */
function body(text: string, format: 'yaml' | 'json'): { text: string; type: string } {
  return { text, type: format === 'json' ? 'application/json' : YAML };
}

export type DryRun =
  | { ok: true; result: DryRunResponse }
  | { ok: false; issues: CompileIssueDto[]; message: string };

/** Compiles a document without storing it: its shape, or every problem with its line. */
export async function dryRun(text: string, format: 'yaml' | 'json' = 'yaml'): Promise<DryRun> {
  const b = body(text, format);
  try {
    const answer = await apiText('POST', `${base}/definitions?dry_run=true`, b.text, b.type);
    return { ok: true, result: dryRunResponseSchema.parse(answer) };
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'validation_failed' || err.code === 'bad_request')) {
      // The compiler's details carry `line` beside path and message.
      const issues = err.details as CompileIssueDto[];
      return {
        ok: false,
        issues: issues.length > 0 ? issues : [{ path: '', message: err.message }],
        message: err.message,
      };
    }
    throw err;
  }
}

export type SaveResult =
  | { ok: true; saved: DefinitionVersionDto }
  | { ok: false; issues: CompileIssueDto[]; message: string };

/** Stores the document as its name's next version. */
export async function saveDocument(text: string, format: 'yaml' | 'json' = 'yaml'): Promise<SaveResult> {
  const b = body(text, format);
  try {
    const saved = await apiText<DefinitionVersionDto>('POST', `${base}/definitions`, b.text, b.type);
    // The sidebar's selector and the start forms read the definitions list: a saved version is startable there
    // at once, without a reload. Best effort: the save itself succeeded either way.
    loadDefinitions().catch(() => {});
    return { ok: true, saved };
  } catch (err) {
    if (err instanceof ApiError) {
      return { ok: false, issues: err.details as CompileIssueDto[], message: err.message };
    }
    return { ok: false, issues: [], message: errorMessage(err) };
  }
}

/** Saves the exported YAML as a file named after the workflow and its version. */
export async function downloadExport(name: string, version?: number): Promise<void> {
  const text = await exportYaml(name, version);
  const url = URL.createObjectURL(new Blob([text], { type: YAML }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}${version === undefined ? '' : `.v${version}`}.yaml`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
