import { ERROR_STATUS, type ErrorCode } from '@membercard/shared'
import type { RouterRoute } from 'hono/types'
import { findTargetHandler } from 'hono/utils/handler'
import { generateSpecs, resolver, uniqueSymbol } from 'hono-openapi'
import type { OpenAPIV3_1 } from 'openapi-types'
import type { ZodType } from 'zod'
import { type Operation, type Operations, TAGS } from './describe.ts'
import { errorBodySchema, errorResponses } from './errors.ts'
import { operations as allOperations } from './operations/index.ts'
import { authErrors, securityOf, securitySchemes } from './security.ts'

/** One `/api` route as registered in the app: its method, paths and handler chain. */
export interface ApiRoute {
  method: string
  /** The path as Hono has it (`/api/staff/transactions/:id{[0-9]{1,15}}/void`). */
  honoPath: string
  /** The path as OpenAPI writes it (`/api/staff/transactions/{id}/void`). */
  path: string
  /** Path parameters, with the pattern Hono matches them with (if any). */
  params: { name: string; pattern?: string }[]
  handlers: Handler[]
}

type Marked = { [uniqueSymbol]?: { target?: string } }
/** A handler of a route's chain: its name and hono-openapi's marker, if any. */
type Handler = { name: string } & Marked

const API = /^\/api\//
/** A Hono path parameter: `:name`, `:name{pattern}`, `:name?`. */
const PARAM = /^:([^{?]+)(?:\{(.+)\})?(\?)?$/

/** The `/api` routes of an app (Hono's `app.routes`), one per method and path. */
export function apiRoutes(routes: readonly RouterRoute[]): ApiRoute[] {
  const found = new Map<string, ApiRoute>()
  for (const r of routes) {
    if (!API.test(r.path) || r.method === 'ALL') continue
    const key = `${r.method} ${r.path}`
    let route = found.get(key)
    if (!route) {
      const params: ApiRoute['params'] = []
      const path = r.path
        .split('/')
        .map((segment) => {
          const m = PARAM.exec(segment)
          if (!m) return segment
          params.push(
            m[2] === undefined ? { name: m[1] as string } : { name: m[1] as string, pattern: m[2] },
          )
          return `{${m[1]}}`
        })
        .join('/')
      route = { method: r.method, honoPath: r.path, path, params, handlers: [] }
      found.set(key, route)
    }
    route.handlers.push(findTargetHandler(r.handler) as Handler)
  }
  return [...found.values()]
}

/** The key of a route in the descriptions: `POST /api/staff/points`. */
export const operationKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`

/** True when a `validate()` middleware (http/validate.ts) checks part of the request. */
const isValidated = (r: ApiRoute) => r.handlers.some((h) => h[uniqueSymbol]?.target !== undefined)

/** True when the route takes an `Idempotency-Key` through http/idempotency.ts. */
const isIdempotent = (r: ApiRoute) => r.handlers.some((h) => h.name === 'idempotencyKeyMiddleware')

const IDEMPOTENCY_KEY: OpenAPIV3_1.ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  description:
    'A new random value (a UUID) per intended transaction, sent again unchanged when retrying ' +
    'it. The same key with the same body answers the first result and changes nothing again; ' +
    'with another body, 422 `IDEMPOTENCY_KEY_REUSED`; while the first is still running, 409 ' +
    '`IDEMPOTENCY_KEY_IN_USE` (retry after `Retry-After`). Keys are scoped to the store (the ' +
    'console: the account).',
  schema: { type: 'string', pattern: '^[!-~]{1,255}$' },
  example: '6f1c2a0e-3b7d-4c1e-9a55-2d8f0b7e4c11',
}

const REPLAYED: OpenAPIV3_1.HeaderObject = {
  description: '`true` when this is the stored answer to an earlier request with the same key.',
  schema: { type: 'string', enum: ['true'] },
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** A zod schema as an OpenAPI schema; its named parts are added to `schemas`. */
async function toSchema(
  schema: ZodType,
  schemas: Record<string, OpenAPIV3_1.SchemaObject>,
): Promise<OpenAPIV3_1.SchemaObject> {
  const result = await resolver(schema).toOpenAPISchema()
  const out = result.schema as OpenAPIV3_1.SchemaObject & { $defs?: Record<string, unknown> }
  Object.assign(schemas, result.components?.schemas ?? {}, out.$defs ?? {})
  delete out.$defs
  return out
}

/** The error codes a route answers, from its description and what its chain does. */
function errorCodes(route: ApiRoute, op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = [...authErrors(op.auth)]
  if (op.auth === 'customer' && WRITE.has(route.method)) codes.push('FORBIDDEN')
  codes.push(...(op.errors ?? []))
  if (isValidated(route) || op.body !== undefined) codes.push('VALIDATION_FAILED')
  if (isIdempotent(route)) {
    codes.push(
      'IDEMPOTENCY_KEY_MISSING',
      'VALIDATION_FAILED',
      'IDEMPOTENCY_KEY_IN_USE',
      'IDEMPOTENCY_KEY_REUSED',
    )
  }
  if (route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH') {
    codes.push('UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE')
  }
  if (op.tag !== 'Meta') codes.push('SERVICE_UNAVAILABLE')
  return codes.filter((code) => code in ERROR_STATUS)
}

/** The parameters: generated from `validate()`, path patterns, Idempotency-Key, headers. */
function parametersOf(
  route: ApiRoute,
  op: Operation | undefined,
  generated: OpenAPIV3_1.ParameterObject[],
): OpenAPIV3_1.ParameterObject[] {
  const out = generated.filter((p) => {
    // The bare path parameter hono-openapi adds when no schema validates it: replaced below.
    const bare = p.in === 'path' && JSON.stringify(p.schema) === '{"type":"string"}'
    return !bare
  })
  for (const param of route.params) {
    if (out.some((p) => p.in === 'path' && p.name === param.name)) continue
    out.push({
      name: param.name,
      in: 'path',
      required: true,
      schema:
        param.pattern === undefined
          ? { type: 'string' }
          : { type: 'string', pattern: `^(?:${param.pattern})$` },
    })
  }
  if (isIdempotent(route)) out.push(IDEMPOTENCY_KEY)
  out.push(...(op?.headers ?? []))
  return out
}

/** What the document is about, shown at its top. */
const INTRODUCTION = [
  'The API of the LINE digital membership card with ID linking (ID連携).',
  '',
  '- **JSON** in and out (`Content-Type: application/json` on every body; 64 KiB at most).',
  '  Unknown fields are refused with 400.',
  '- **Errors** are `{"error": {"code", "message"}}`; each route lists the codes it answers.',
  '  A 5xx is a bug.',
  '- **Who calls**: a member (LINE ID token), a till (staff token), a POS system (a store',
  '  API key, acting as a till of its store on the routes its scopes allow), the head office',
  '  (staff token of an operator or admin, or the console cookie with `X-CSRF-Token`).',
  '- **Idempotency**: every points write takes an `Idempotency-Key`; retry with the same key.',
  '',
  'An integrator’s walkthrough: `docs/pos-integration.md`.',
].join('\n')

/** The document and what is wrong with the descriptions (routes without one, and so on). */
export interface BuiltDocument {
  document: OpenAPIV3_1.Document
  problems: string[]
}

/**
 * The OpenAPI 3.1 document of an app's `/api` routes: request schemas from the routes'
 * `validate()` middleware (through hono-openapi), the rest from `operations`.
 */
export async function buildOpenApiDocument(
  routes: readonly RouterRoute[],
  info: { title: string; version: string },
  operations: Operations = allOperations,
): Promise<BuiltDocument> {
  const api = apiRoutes(routes)
  const generated = await generateSpecs(
    { routes: routes.filter((r) => API.test(r.path) && r.method !== 'ALL') } as never,
    {
      includeEmptyPaths: true,
      excludeStaticFile: false,
      defaultValidationErrorResponse: false,
    },
  )
  const schemas: Record<string, OpenAPIV3_1.SchemaObject> = {
    Error: errorBodySchema,
    ...(generated.components.schemas as Record<string, OpenAPIV3_1.SchemaObject>),
  }
  const problems: string[] = []
  const paths: OpenAPIV3_1.PathsObject = {}
  const described = new Set<string>()
  for (const route of api) {
    const key = operationKey(route)
    const method = route.method.toLowerCase() as OpenAPIV3_1.HttpMethods
    const made = (generated.paths[route.path]?.[method] ?? {}) as OpenAPIV3_1.OperationObject
    const op = (operations as Record<string, Operation | undefined>)[key]
    const operation: OpenAPIV3_1.OperationObject = {
      operationId: made.operationId,
      parameters: parametersOf(route, op, (made.parameters ?? []) as OpenAPIV3_1.ParameterObject[]),
      requestBody: made.requestBody,
      // Replaced below; a route not described yet still makes a valid document.
      responses: { default: { description: 'Not described yet.' } },
    }
    if (!op) {
      problems.push(`${key}: no description in server/src/openapi/operations`)
    } else {
      described.add(key)
      operation.summary = op.summary
      if (op.description !== undefined) operation.description = op.description
      operation.tags = [op.tag]
      operation.security = securityOf(op.auth, method)
      if (op.body !== undefined) {
        operation.requestBody = {
          required: true,
          content: { 'application/json': { schema: await toSchema(op.body, schemas) } },
        }
      }
      const json = (operation.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.[
        'application/json'
      ]
      if (op.requestExample !== undefined || op.requestExamples !== undefined) {
        if (!json) problems.push(`${key}: a request example but no JSON body`)
        else if (op.requestExamples !== undefined) json.examples = op.requestExamples
        else json.example = op.requestExample
      }
      const ok: OpenAPIV3_1.ResponseObject = { description: op.ok.description }
      if (op.ok.schema !== undefined) {
        ok.content = {
          'application/json': {
            schema: await toSchema(op.ok.schema, schemas),
            ...(op.ok.example === undefined ? {} : { example: op.ok.example }),
          },
        }
      } else if (op.ok.contentType !== undefined) {
        ok.content = { [op.ok.contentType]: { schema: { type: 'string' } } }
      }
      const headers = {
        ...op.ok.headers,
        ...(isIdempotent(route) ? { 'Idempotent-Replayed': REPLAYED } : {}),
      }
      if (Object.keys(headers).length > 0) ok.headers = headers
      operation.responses = { [String(op.ok.status)]: ok, ...errorResponses(errorCodes(route, op)) }
    }
    if (operation.parameters?.length === 0) delete operation.parameters
    if (operation.requestBody === undefined) delete operation.requestBody
    paths[route.path] = { ...paths[route.path], [method]: operation }
  }
  for (const key of Object.keys(operations)) {
    if (!described.has(key)) problems.push(`${key}: described but no such route`)
  }
  const document: OpenAPIV3_1.Document = {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: INTRODUCTION },
    tags: [...TAGS],
    paths,
    components: { schemas, securitySchemes },
  }
  return { document, problems }
}
