import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native WebRTC add-ons are not safe to load in worker threads.
    pool: 'forks',
    // Bounds that only stop a hung test: the CLI scenarios (test/guarantees) run whole jobs with many
    // processes, and on a loaded 2-core machine a chaos or crash-and-resume run can take a minute or two.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
