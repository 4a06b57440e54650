import { z } from 'zod'
import { MAX_PURCHASE_YEN } from './schemas.ts'

/**
 * The till identifies a customer by the number of their plastic point card (typed, or read
 * from its barcode) when they have no phone to show: for an award only — redeeming points and
 * using coupons still need the member's QR or short code (issue 12, decision 092).
 */

/** A card number as typed or scanned: 16 digits, spaces and hyphens ignored. */
const cardNumberField = z.string().min(1).max(64)

/** `POST /api/staff/card/lookup` body. */
export const staffCardLookupSchema = z.strictObject({ cardNumber: cardNumberField })
export type StaffCardLookup = z.infer<typeof staffCardLookupSchema>

/** `POST /api/staff/card/award` body (header `Idempotency-Key`). */
export const staffCardAwardSchema = z.strictObject({
  cardNumber: cardNumberField,
  purchaseAmount: z.number().int().min(1).max(MAX_PURCHASE_YEN),
})
export type StaffCardAward = z.infer<typeof staffCardAwardSchema>
