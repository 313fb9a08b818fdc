import type { IncomingMessage } from 'node:http';
import type { App } from '../../../src/app';

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean>; stack: { handle: unknown }[] };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * The routes the running controller's Express app really serves, as `METHOD /path/:param` (read from its router
 * stacks, so a route added to any router shows up here). The Express app is the `req.app` of a live request:
 * Socket.IO wraps the server's request listeners, so it is not reachable otherwise.
 */
export async function servedRoutes(app: App, url: string): Promise<string[]> {
  return [...new Set((await routeGuards(app, url)).keys())].sort();
}

/**
 * Each served route with the access its first handler enforces: the `access` of an AccessGuard
 * (apps/server/src/http/access.ts), or `unguarded` when the route does not start with one.
 */
export async function routeGuards(app: App, url: string): Promise<Map<string, string>> {
  const expressApp = await new Promise<{ router: { stack: Layer[] } }>((resolve) => {
    app.http.once('request', (req: IncomingMessage) =>
      resolve((req as unknown as { app: { router: { stack: Layer[] } } }).app),
    );
    void fetch(`${url}/health`).then((r) => r.text());
  });
  const out = new Map<string, string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = normalise(prefix + String(layer.route.path));
        const first = layer.route.stack[0]?.handle as { access?: unknown } | undefined;
        const access = typeof first?.access === 'string' ? first.access : 'unguarded';
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== '_all') out.set(`${method.toUpperCase()} ${path}`, access);
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk(expressApp.router.stack, '');
  return out;
}

/** `/v1/agents/` → `/v1/agents`. */
export function normalise(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
