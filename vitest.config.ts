import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Upper bounds for hangs, not speed checks: on a machine whose cores are busy with other work, starting a
    // controller process (tsx, PGlite) can take tens of seconds. Tests wait for outcomes and end as soon as
    // they are reached.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // PGlite instances are large (~0.3-0.7 GB each); two forks keep the 2-core machine busy without swapping.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['{apps/server,apps/agent,packages/shared}/{src,test}/**/*.test.{ts,tsx}'],
          // Test files of one worker share its module cache: importing the server's module graph once per worker
          // rather than once per file took the suite from 566 s to 382 s on this machine (vitest's "import" 141 s
          // → 30 s). Every test builds its own app, store and database, so nothing is shared through module state.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'web',
          include: ['apps/web/{src,test}/**/*.test.{ts,tsx}'],
          // Isolated: the web tests replace modules (vi.mock), which a module cache shared with earlier files
          // would already hold.
        },
      },
    ],
  },
});
