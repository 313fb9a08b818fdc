import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{apps,packages}/*/{src,test}/**/*.test.{ts,tsx}'],
    // Upper bounds for hangs, not speed checks: on a machine whose cores are busy with other work, starting a
    // controller process (tsx, PGlite) can take tens of seconds. Tests wait for outcomes and end as soon as
    // they are reached.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // PGlite instances are large (~0.3-0.7 GB each); two forks keep the 2-core machine busy without swapping.
    pool: 'forks',
    maxWorkers: 2,
  },
});
