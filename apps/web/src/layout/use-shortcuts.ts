import { useEffect } from 'react';
import { newChat } from '../chat/chat-actions';
import { COMPOSER_ID } from '../chat/composer';
import { appStore } from '../stores/store';

const typing = (el: Element | null) =>
  el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;

/** Ctrl/Cmd+Shift+O: new chat. "/" (outside a field) or Shift+Esc: focus the composer. */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.shiftKey && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        if (appStore.getState().aiStatus.state === 'ready') void newChat();
        document.getElementById(COMPOSER_ID)?.focus();
      } else if (
        (e.key === '/' && !mod && !typing(document.activeElement)) ||
        (e.key === 'Escape' && e.shiftKey)
      ) {
        e.preventDefault();
        document.getElementById(COMPOSER_ID)?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
