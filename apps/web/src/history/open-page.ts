import type { MouseEvent } from 'react';
import { navigate } from '../lib/router';

/**
 * Opens another page of the app in place, leaving the History filters behind: `navigate` keeps the address's
 * query (for the chat's `?run=`), which on a run's page would be the History's filters. The history entry
 * keeps them, so Back returns to the same filtered list. A modified click is left to the browser.
 */
export function openPage(e: MouseEvent, path: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  window.history.pushState(null, '', path);
  navigate(path);
}
