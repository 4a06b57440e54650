import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['server', 'server/vitest.pg.config.ts', 'liff-app', 'tests'],
  },
})
