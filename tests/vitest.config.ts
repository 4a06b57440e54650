import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'e2e',
    include: ['e2e/**/*.test.ts', 'browser/**/*.test.ts', 'resilience/**/*.test.ts'],
    // The two-minute soak (resilience/steady-load.test.ts) runs here too, so CI runs it;
    // `pnpm test:resilience` runs it alone (vitest.soak.config.ts).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // A real browser on a busy 2-core machine (the server tests run beside these): a page or a
    // lazy chunk can take seconds, so polled expectations wait up to 15 s (the default is 1 s).
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
})
