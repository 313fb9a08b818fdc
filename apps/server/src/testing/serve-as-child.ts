import type { App } from '../app';
import type { Db } from '../db/db';

/**
 * The end of a controller that tests and benchmarks start as a process of its own: listen, create the admin
 * user, say `LISTENING <port>` on stdout (what the parent waits for, see test/helpers/child-server.ts), and
 * on SIGTERM stop as main.ts does (close the app, then the database) and exit 0.
 */
export async function serveAsChild(
  app: App,
  db: Db,
  opts: { port: number; host: string; adminToken: string | undefined },
): Promise<void> {
  const port = await app.listen(opts.port, opts.host);
  await app.auth.bootstrap(opts.adminToken);
  process.stdout.write(`LISTENING ${port}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await db.close();
      process.exit(0);
    })();
  });
}
