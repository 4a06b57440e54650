import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

/**
 * Both LIFF modes (`liff-line.ts`, `liff-demo.ts`) load on demand, but share the LIFF core
 * chunk: preload it from the page so its download starts with the app's, not after it. Each
 * mode's own chunk gets a preload marked `data-liff-mode`, which the server filters.
 */
function preloadLiffCore(): Plugin {
  return {
    name: 'membercard:preload-liff-core',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {}).filter((c) => c.type === 'chunk')
        const mode = (name: string) =>
          chunks.find((c) => c.facadeModuleId?.endsWith(`/src/lib/${name}.ts`))
        const line = mode('liff-line')
        const demo = mode('liff-demo')
        if (!line || !demo) return []
        const shared = line.imports.filter((f) => demo.imports.includes(f))
        const entry = chunks.find((c) => c.isEntry)
        const core = shared
          .filter((f) => f !== entry?.fileName && !entry?.imports.includes(f))
          .map((f) => ({
            tag: 'link',
            attrs: { rel: 'modulepreload', crossorigin: '', href: `/${f}` },
            injectTo: 'head' as const,
          }))
        // Each mode's own chunk, marked with its mode: the server keeps the one of the mode it
        // runs in and removes the other (server/src/app.ts), so a first visit does not wait for
        // the settings to know which one to load.
        const modes = (['line', 'demo'] as const).map((m) => ({
          tag: 'link',
          attrs: {
            rel: 'modulepreload',
            crossorigin: '',
            href: `/${(m === 'line' ? line : demo).fileName}`,
            'data-liff-mode': m,
          },
          injectTo: 'head' as const,
        }))
        return [...core, ...modes]
      },
    },
  }
}

/**
 * Chrome's explicit compile hint (`//# allFunctionsCalledOnLoad`, Chrome 136+; other engines
 * ignore it) on the entry chunk: nearly all of its functions run while the card starts, so V8
 * compiles them as the file streams in, off the main thread, instead of one at a time on the
 * main thread at first call (measured: −18 % main-thread time to the card's QR). It must be the
 * file's first line, so it is added after Vite's own preamble; the file name's hash does not
 * cover this one constant line.
 */
function compileHints(): Plugin {
  return {
    name: 'membercard:compile-hints',
    apply: 'build',
    enforce: 'post',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const chunk of Object.values(bundle)) {
          if (chunk.type === 'chunk' && chunk.isEntry) {
            chunk.code = `//# allFunctionsCalledOnLoad\n${chunk.code}`
          }
        }
      },
    },
  }
}

/**
 * Writes `.br` and `.gz` copies of the text assets next to them, for a static server that
 * serves precompressed files (`serveStatic({ precompressed: true })` in @hono/node-server).
 */
function precompress(): Plugin {
  let outDir = 'dist'
  return {
    name: 'membercard:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir.startsWith('/')
        ? config.build.outDir
        : join(config.root, config.build.outDir)
    },
    writeBundle(_options, bundle) {
      for (const file of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue
        const path = join(outDir, file)
        const data = readFileSync(path)
        if (data.length < 1024) continue
        writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }))
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        )
      }
    },
  }
}

export default defineConfig({
  plugins: [vue(), preloadLiffCore(), compileHints(), precompress()],
  resolve: {
    alias: [
      // qrcode uses dijkstrajs only to split a plain string into mixed-mode segments; the app
      // always passes explicit segments (src/lib/qr-svg.ts), so that path is never taken.
      {
        find: /^dijkstrajs$/,
        replacement: fileURLToPath(new URL('./src/stubs/dijkstrajs.ts', import.meta.url)),
      },
    ],
  },
  define: {
    // Smaller bundles: no Options API, no production devtools.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    // es2020 syntax for older iOS WebViews (LINE's in-app browser); es2022 saves only ~0.1 KB.
    target: 'es2020',
    // terser packs the card's first chunk ~4 KB gzip smaller than esbuild; only safe options
    // (no unsafe_*, no pure_getters: Vue's reactivity tracks through getters).
    minify: 'terser',
    terserOptions: {
      ecma: 2020,
      module: true,
      compress: { passes: 2 },
      format: { comments: false },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/__line': 'http://127.0.0.1:3000' } },
})
