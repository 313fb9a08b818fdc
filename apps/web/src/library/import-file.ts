/** A file being imported: its text, the format the controller reads it as, and the workflow name it holds. */
export interface ImportedFile {
  fileName: string;
  format: 'yaml' | 'json';
  text: string;
}

export const IMPORT_ACCEPT = '.yaml,.yml,.json,application/yaml,application/json,text/yaml';

export function formatOf(fileName: string): 'yaml' | 'json' | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return null;
}

/** The top-level `name` of a document (YAML `name: x` at the start of a line, or JSON's `name`). */
export function nameIn(file: ImportedFile): string | null {
  if (file.format === 'json') {
    try {
      const parsed = JSON.parse(file.text) as { name?: unknown };
      return typeof parsed.name === 'string' ? parsed.name : null;
    } catch {
      return null;
    }
  }
  const m = /^name:[ \t]*["']?([^"'\s#]+)["']?[ \t]*(?:#.*)?$/m.exec(file.text);
  return m?.[1] ?? null;
}

/** The same document under another name; everything else byte for byte (YAML) or as parsed (JSON). */
export function renamed(file: ImportedFile, name: string): string {
  if (file.format === 'json') {
    try {
      return JSON.stringify({ ...(JSON.parse(file.text) as object), name }, null, 2);
    } catch {
      return file.text;
    }
  }
  const re = /^name:.*$/m;
  return re.test(file.text) ? file.text.replace(re, `name: ${name}`) : `name: ${name}\n${file.text}`;
}
