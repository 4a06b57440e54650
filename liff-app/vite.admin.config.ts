import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

/**
 * The head office's console (`/admin`, `src/admin/`) is a build of its own, run after the
 * customer app's (`vite.config.ts`) into the same `dist/`: `admin.html` and
 * `assets/admin/*`. Nothing is shared between the two bundles, so the console — its component
 * library, charts and screens — can never add a byte to the customer's card chunks, nor move a
 * module out of them into a shared chunk (docs/decisions/050).
 */
export default defineConfig({
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    assetsDir: 'assets/admin',
    target: 'es2022',
    rollupOptions: {
      input: { admin: fileURLToPath(new URL('./admin.html', import.meta.url)) },
    },
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
})
