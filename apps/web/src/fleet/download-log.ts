import type { JobLogRestPage } from '@deploybot/shared';
import { api } from '../lib/api';
import { stripAnsi } from './ansi-text';

/** Lines per REST page; the server also ends a page at about 1 MiB. */
const PAGE = 5000;

/** The whole log of a job as text (`<time> <line>`, colours removed), read page by page from the REST API. */
export async function fetchWholeLog(jobId: string): Promise<string> {
  const out: string[] = [];
  let after = -1;
  for (;;) {
    const page = await api<JobLogRestPage>('GET', `/v1/jobs/${jobId}/logs?after=${after}&limit=${PAGE}`);
    for (const l of page.lines) out.push(`${l.at} ${stripAnsi(l.line)}`);
    if (page.next === null) break;
    after = page.next;
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Saves the whole log as `job-<id>.log` through the browser's download. */
export async function downloadJobLog(jobId: string): Promise<void> {
  const text = await fetchWholeLog(jobId);
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `job-${jobId}.log`;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once started; the next tick is late enough to let the URL go.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
