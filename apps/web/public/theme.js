// Applies the saved (or system) theme before the first paint; a file, not inline, so a strict CSP allows it.
(() => {
  try {
    const saved = localStorage.getItem('deploybot.theme');
    const dark = saved ? saved === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.classList.toggle('dark', dark);
  } catch {
    // Storage blocked: stay light until the app starts.
  }
})();
