import type { SliceCreator } from './types';

/** What the main area shows; `run` and `job` are pages of their own (`/runs/{id}`, `/jobs/{id}`). */
export type View = 'chat' | 'fleet' | 'run' | 'job' | 'triggers' | 'history' | 'library';

export interface UiSlice {
  view: View;
  /** The run (view `run`) or job (view `job`) the address names, the library's path (view `library`); else null. */
  routeId: string | null;
  /** Collapsible panes: conversations (left) and the workflow sidebar (right). */
  leftOpen: boolean;
  rightOpen: boolean;
  connection: 'connecting' | 'online' | 'offline';
  selectedJobId: string | null;
  /** The definition chosen in the sidebar's selector. */
  selectedWorkflow: string | null;
  /** What the live region reads out (step changes of the selected run). */
  announcement: string;
}

const narrow = () => typeof window !== 'undefined' && window.matchMedia?.('(max-width: 767px)').matches;

export const createUiSlice: SliceCreator<UiSlice> = () => ({
  view: 'chat',
  routeId: null,
  leftOpen: !narrow(),
  rightOpen: !narrow(),
  connection: 'connecting',
  selectedJobId: null,
  selectedWorkflow: null,
  announcement: '',
});
