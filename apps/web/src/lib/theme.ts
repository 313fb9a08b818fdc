export type Theme = 'light' | 'dark';
const KEY = 'deploybot.theme';

/** The saved theme, else the system's preference. */
export function currentTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme, persist = true): void {
  document.documentElement.classList.toggle('dark', theme === 'dark');
  if (persist) localStorage.setItem(KEY, theme);
}
