import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['server', 'liff-app', 'tests'],
  },
})
