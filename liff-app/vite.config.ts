import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', target: 'es2020' },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/__line': 'http://127.0.0.1:3000' } },
})
