import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{apps,packages}/*/{src,test}/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are large (~0.3-0.7 GB each); two forks keep the 2-core machine busy without swapping.
    pool: 'forks',
    maxWorkers: 2,
  },
});
