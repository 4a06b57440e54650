import type { ErrorCode } from '@membercard/shared'
import type { OpenAPIV3_1 } from 'openapi-types'
import type { ZodType } from 'zod'
import type { Auth } from './security.ts'

/** The document's groups of routes, in the order the reference page shows them. */
export const TAGS = [
  { name: 'Customer', description: 'The member’s own card: the LIFF app (LINE ID token).' },
  {
    name: 'Till & POS',
    description:
      'A store’s till: a staff session, or a POS API key of the store on the routes its ' +
      'scopes allow. Every points write takes an `Idempotency-Key`.',
  },
  { name: 'Console', description: 'The head office (operator or admin).' },
  { name: 'Meta', description: 'Public settings and this document.' },
] as const satisfies OpenAPIV3_1.TagObject[]

export type Tag = (typeof TAGS)[number]['name']

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * One route as the OpenAPI document describes it, keyed `METHOD /api/path/{param}` (the path
 * as OpenAPI writes it). What the route validates with `validate()` (body, query, path
 * parameters), whether it takes an `Idempotency-Key` (the `idempotencyKey` middleware) and
 * its path parameters' patterns are read from the route itself; this adds what the code
 * cannot say: what it is for, who may call it, what it answers. See docs/decisions/087.
 */
export interface Operation {
  /** One line: what the route does. */
  summary: string
  /** More, in Markdown: rules, side effects, when to call it. */
  description?: string
  tag: Tag
  auth: Auth
  /** The success answer. `schema` absent: no body (204) or not JSON (`contentType`). */
  ok: {
    status: 200 | 201 | 202 | 204
    description: string
    schema?: ZodType
    example?: unknown
    /** For a body that is not JSON (a CSV file, an HTML page). */
    contentType?: string
    headers?: Record<string, OpenAPIV3_1.HeaderObject>
  }
  /**
   * The error codes this route answers besides those of its auth, its validation (400
   * `VALIDATION_FAILED`), its `Idempotency-Key` and the JSON gate (413, 415), which are added.
   */
  errors?: ErrorCode[]
  /**
   * A JSON request body the route reads itself (not through `validate()`), or one that
   * replaces what `validate()` shows when its schema has parts JSON Schema cannot express
   * (a `transform`: shown as `{}`).
   */
  body?: ZodType
  /** An example request body (JSON). */
  requestExample?: unknown
  /** Named example bodies, for a route that takes several kinds (shown as a list). */
  requestExamples?: Record<string, { summary: string; value: unknown }>
  /** Headers the route reads itself (besides auth and `Idempotency-Key`). */
  headers?: OpenAPIV3_1.ParameterObject[]
}

/** Descriptions of routes, keyed `METHOD /api/…` (OpenAPI path). */
export type Operations = Record<`${Method} /api/${string}`, Operation>
