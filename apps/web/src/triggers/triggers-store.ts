import type { FiringDto, TriggerDto } from '@deploybot/shared';
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import { errorMessage } from '../lib/api';
import { triggersApi } from './triggers-api';

/** How many of a trigger's latest firings the page shows. */
export const FIRINGS_SHOWN = 10;

export interface TriggersState {
  /** null until the first list arrived. */
  triggers: TriggerDto[] | null;
  /** The latest firings of each trigger, by trigger id. */
  firings: Record<string, FiringDto[]>;
  /** Why the last refresh failed, if it did. */
  error: string | null;
}

/**
 * Triggers as the server last listed them, shared by the Triggers page and the chat's proposal cards. There is no
 * socket event for triggers: the page refreshes after every action and on a short poll while it is open.
 */
export const triggersStore = createStore<TriggersState>()(() => ({
  triggers: null,
  firings: {},
  error: null,
}));

export function useTriggers<T>(selector: (s: TriggersState) => T): T {
  return useStore(triggersStore, selector);
}

/**
 * Lists the triggers and, unless `firings` is false (the chat only needs the list), the latest firings of each.
 * A trigger deleted between the two requests keeps the firings shown before.
 */
export async function refreshTriggers(opts: { firings?: boolean } = {}): Promise<void> {
  try {
    const triggers = await triggersApi.list();
    if (opts.firings === false) {
      triggersStore.setState({ triggers, error: null });
      return;
    }
    const before = triggersStore.getState().firings;
    const firings = Object.fromEntries(
      await Promise.all(
        triggers.map(
          async (t) =>
            [t.id, await triggersApi.firings(t.id, FIRINGS_SHOWN).catch(() => before[t.id] ?? [])] as const,
        ),
      ),
    );
    triggersStore.setState({ triggers, firings, error: null });
  } catch (err) {
    triggersStore.setState({ error: `Could not load triggers: ${errorMessage(err)}` });
  }
}
