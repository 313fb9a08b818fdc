import type { SliceCreator } from './types';

export type View = 'chat' | 'fleet';

export interface UiSlice {
  view: View;
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
  leftOpen: !narrow(),
  rightOpen: !narrow(),
  connection: 'connecting',
  selectedJobId: null,
  selectedWorkflow: null,
  announcement: '',
});
