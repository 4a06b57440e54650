import type { Operations } from '../describe.ts'
import { adminOperations } from './admin.ts'
import { couponOperations } from './coupons.ts'
import { customerOperations } from './customer.ts'
import { integrationOperations } from './integration.ts'
import { marketingOperations } from './marketing.ts'
import { metaOperations } from './meta.ts'
import { staffOperations } from './staff.ts'

/**
 * Every `/api` route's description (docs/decisions/087). A new route gets an entry in the
 * file of its part (or a new file listed here); the OpenAPI test fails until it has one.
 */
export const operations: Operations = {
  ...metaOperations,
  ...customerOperations,
  ...staffOperations,
  ...adminOperations,
  ...integrationOperations,
  ...marketingOperations,
  ...couponOperations,
}
