import { defineConfig } from 'vitest/config'

/** `pnpm test:resilience`: the two-minute steady-load soak on its own (`pnpm test` runs it too). */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['resilience/steady-load.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
})
