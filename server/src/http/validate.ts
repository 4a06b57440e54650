import { zValidator } from '@hono/zod-validator'
import type { ValidationTargets } from 'hono'
import { resolver, uniqueSymbol } from 'hono-openapi'
import type { ZodType } from 'zod'
import { errorBody } from './api-error.ts'

/**
 * `zValidator` answering the contract's error shape: 400 `VALIDATION_FAILED` naming the first
 * bad field (unknown fields included, since the request schemas are strict).
 *
 * The middleware also carries the schema for the OpenAPI document (`hono-openapi`'s marker,
 * as its own `validator` sets it): every route validated here documents its body, query or
 * path parameters from the very schema it validates with (docs/decisions/087).
 */
export function validate<T extends ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) {
  const middleware = zValidator(target, schema, (result, c) => {
    if (!result.success) {
      const issue = result.error.issues[0]
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
      const message =
        issue?.code === 'unrecognized_keys'
          ? `Unknown field(s): ${issue.keys.join(', ')}`
          : `${where}${issue?.message ?? 'invalid request'}`
      return c.json(errorBody('VALIDATION_FAILED', message), 400)
    }
  })
  Object.assign(middleware, { [uniqueSymbol]: { target, ...resolver(schema) } })
  return middleware
}
