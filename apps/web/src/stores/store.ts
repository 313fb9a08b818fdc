import { useStore as useZustand } from 'zustand';
import { createStore } from 'zustand/vanilla';
import { createAuthSlice } from './auth-slice';
import { createChatSlice } from './chat-slice';
import { createFleetSlice } from './fleet-slice';
import type { AppState, AppStore } from './types';
import { createUiSlice } from './ui-slice';
import { createWorkflowsSlice } from './workflows-slice';

/** One bound store from slices; tests build their own with this. */
export function createAppStore(): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createAuthSlice(...a),
    ...createWorkflowsSlice(...a),
    ...createFleetSlice(...a),
    ...createChatSlice(...a),
    ...createUiSlice(...a),
  }));
}

/** The app's store: the socket layer and module-level actions write to it, components select narrowly. */
export const appStore = createAppStore();

export function useAppStore<T>(selector: (s: AppState) => T): T {
  return useZustand(appStore, selector);
}

export type { AppState, AppStore } from './types';
