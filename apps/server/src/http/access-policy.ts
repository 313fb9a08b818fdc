import type { Role } from '@deploybot/shared';

type Need = Role | 'public';
type Rule = [methods: readonly string[] | '*', path: RegExp, need: Need];

const READS = ['GET', 'HEAD'] as const;

/**
 * Who may call what, in one table read top to bottom (first match wins). Anything under /v1 that no rule
 * names needs an admin: a new endpoint is closed until someone opens it here.
 */
export const ACCESS_RULES: readonly Rule[] = [
  [['POST'], /^\/v1\/auth\/(login|token-login)$/, 'public'],
  ['*', /^\/v1\/auth\/(me|logout)$/, 'viewer'],
  ['*', /^\/v1\/tokens(\/|$)/, 'viewer'],
  ['*', /^\/v1\/users(\/|$)/, 'admin'],
  [READS, /^\/v1\/audit$/, 'admin'],
  // Deciding also depends on the workflow and on who started the run: the route checks the rest.
  [['POST'], /^\/v1\/ai\/workflows\/[^/]+\/approve$/, 'operator'],
  [['POST'], /^\/v1\/ai\/workflows\/(start|[^/]+\/(cancel|input))$/, 'operator'],
  // Revealing a run's secrets also needs to be its starter or an admin: the route checks that.
  [['POST'], /^\/v1\/ai\/workflows\/[^/]+\/reveal$/, 'operator'],
  [READS, /^\/v1\/ai\/status$/, 'viewer'],
  ['*', /^\/v1\/ai\/(sessions|chat)(\/|$)/, 'operator'],
  [['POST'], /^\/v1\/jobs\/[^/]+\/cancel$/, 'operator'],
  // Creating or retrying a job directly deploys without a workflow's gates: admins only.
  [['POST'], /^\/v1\/jobs(\/[^/]+\/retry)?$/, 'admin'],
  [READS, /^\/v1\//, 'viewer'],
];

/** The role a request needs, or `public`. Paths outside /v1 (the web app, /health) are public. */
export function requiredRole(method: string, path: string): Need {
  if (!path.startsWith('/v1/')) return 'public';
  for (const [methods, pattern, need] of ACCESS_RULES) {
    if ((methods === '*' || methods.includes(method)) && pattern.test(path)) return need;
  }
  return 'admin';
}
