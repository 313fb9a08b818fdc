import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`: repositories are `<url>/<name>.git` under `root`. */
  url: string;
  /** Requests that came with the right Basic credentials. */
  authorized: number;
  /** Requests refused with 401 (no or wrong credentials). */
  refused: number;
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories. */
  root: string;
  username: string;
  password: string;
  /**
   * Answers an authorized request with this status instead of serving it. Gets the request body as text, which
   * tells a fetch (`command=fetch`, `want …`) from an ls-remote (`command=ls-refs`).
   */
  deny?: (req: IncomingMessage, body: string) => number | null;
}

/**
 * Real git smart HTTP on loopback: `git http-backend` (CGI) behind Basic authentication, the way a private
 * Git host answers. Nothing is faked: clients speak the real protocol to a real git.
 */
export async function startGitHttpServer(opts: GitHttpServerOptions): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const state = { authorized: 0, refused: 0 };
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      state.refused++;
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="deploybot-test"' }).end('unauthorized\n');
      return;
    }
    state.authorized++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('latin1');
      const denied = opts.deny?.(req, text);
      if (denied) res.writeHead(denied).end('denied\n');
      else serveCgi(opts.root, req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get authorized() {
      return state.authorized;
    },
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serveCgi(root: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
      ...(req.headers['git-protocol'] && { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
      REMOTE_USER: 'deployer',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.on('error', () => {}); // git may exit before reading it all; the response says why
  child.stdin.end(body);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(end + 4));
  });
  child.on('close', () => {
    if (!headersSent) res.writeHead(502);
    res.end();
  });
  child.on('error', () => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
}
