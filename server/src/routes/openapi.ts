import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'
import type { RouterRoute } from 'hono/types'
import { errorBody } from '../http/api-error.ts'
import { preparePage, sendPage } from '../http/page-policy.ts'
import { buildOpenApiDocument } from '../openapi/document.ts'
import type { Env } from './deps.ts'

/** The version of the API the document describes. */
export const API_VERSION = '1.0.0'

/**
 * The reference page: Swagger UI's files from the `swagger-ui-dist` package, served by this
 * server (no CDN), started by a script file of its own so the page runs under the pages'
 * Content-Security-Policy (`script-src 'self'`, no inline script or style; decision 088).
 */
const PAGE = preparePage(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Membercard API</title>
    <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/swagger-ui-bundle.js"></script>
    <script src="/api/docs/start.js"></script>
  </body>
</html>
`)

/** `validatorUrl: null`: no badge from validator.swagger.io (nothing leaves this origin). */
const START = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
})
`

const TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'start.js': 'text/javascript; charset=utf-8',
}

/** The reference page's files, read once on first use. */
function docsFiles(): Map<string, string> {
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve('swagger-ui-dist/package.json'))
  return new Map([
    ['swagger-ui.css', readFileSync(join(root, 'swagger-ui.css'), 'utf8')],
    ['swagger-ui-bundle.js', readFileSync(join(root, 'swagger-ui-bundle.js'), 'utf8')],
    ['start.js', START],
  ])
}

/**
 * `GET /api/openapi.json` (the OpenAPI 3.1 document of every `/api` route, built once from
 * the app's routes: docs/decisions/087) and `GET /api/docs` (the reference page).
 * `routes` is read when the document is first asked for, once every route is registered.
 */
export function openApiRoutes(o: { routes: () => readonly RouterRoute[]; title: string }) {
  let document: Promise<unknown> | undefined
  let files: Map<string, string> | undefined
  return new Hono<Env>()
    .get('/openapi.json', async (c) => {
      document ??= buildOpenApiDocument(o.routes(), { title: o.title, version: API_VERSION }).then(
        (built) => built.document,
        (err) => {
          document = undefined
          throw err
        },
      )
      return c.json((await document) as object, 200)
    })
    .get('/docs', (c) => sendPage(c, PAGE, { kind: 'docs', line: false }))
    .get('/docs/:file', (c) => {
      const name = c.req.param('file')
      files ??= docsFiles()
      const body = files.get(name)
      const type = TYPES[name]
      if (body === undefined || type === undefined) {
        return c.json(errorBody('NOT_FOUND', 'No such file.'), 404)
      }
      c.header('Content-Type', type)
      c.header('Cache-Control', 'public, max-age=3600')
      return c.body(body, 200)
    })
}
