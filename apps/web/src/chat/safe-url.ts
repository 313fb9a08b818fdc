const ALLOWED = /^(https?:|mailto:)/i;

/** Links may only be http(s) or mailto (no javascript:, data:, or relative paths into the app's API). */
export function safeUrl(url: string): string {
  const trimmed = url.trim();
  return ALLOWED.test(trimmed) ? trimmed : '';
}
