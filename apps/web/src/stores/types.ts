import type { StateCreator, StoreApi } from 'zustand';
import type { AuthSlice } from './auth-slice';
import type { ChatSlice } from './chat-slice';
import type { FleetSlice } from './fleet-slice';
import type { UiSlice } from './ui-slice';
import type { WorkflowsSlice } from './workflows-slice';

export type AppState = AuthSlice & WorkflowsSlice & FleetSlice & ChatSlice & UiSlice;
export type AppStore = StoreApi<AppState>;
export type SliceCreator<T> = StateCreator<AppState, [], [], T>;
