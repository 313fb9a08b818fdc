import type { WorkflowDocumentInput } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILT_IN_DOCUMENTS } from './builtin';

// Only the documents' static inputs are read here: nothing is compiled or run.
const definitions = BUILT_IN_DOCUMENTS.map((d) => parse(d.text) as WorkflowDocumentInput);

describe('built-in workflow inputs', () => {
  it('never say "optional" in their label: the form marks optional fields itself', () => {
    const labels = definitions.flatMap((d) => (d.inputs ?? []).map((i) => `${d.name}.${i.key}: ${i.label}`));
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.filter((l) => /optional/i.test(l))).toEqual([]);
  });

  it('troubleshoot_failure says what an empty job id means in the field hint', () => {
    const jobId = definitions
      .find((d) => d.name === 'troubleshoot_failure')
      ?.inputs?.find((i) => i.key === 'job_id');
    expect(jobId).toMatchObject({ label: 'Job id', required: false });
    expect(jobId?.description).toMatch(/most recent failure/);
  });
});
