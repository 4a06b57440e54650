import { z } from 'zod'

/**
 * Staff roles: `clerk` and `manager` work at one store (the till); `operator` (head office)
 * uses the console for all stores; `admin` is an operator who also manages accounts, exports
 * data and erases members.
 */
export const STAFF_ROLES = ['clerk', 'manager', 'operator', 'admin'] as const
export type StaffRole = (typeof STAFF_ROLES)[number]

/** The head-office roles: the console and `/api/admin/*`. */
export const HEAD_OFFICE_ROLES = ['operator', 'admin'] as const satisfies readonly StaffRole[]

/** True for the roles that must belong to a store (`clerk`, `manager`). */
export function roleNeedsStore(role: StaffRole): boolean {
  return role === 'clerk' || role === 'manager'
}

/** A staff ID: letters, digits, `_ . @ -`, up to 64. */
export const staffIdSchema = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/)
/** A store code: letters, digits, `_ -`, up to 32. */
export const storeCodeSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/)
/** A new password: 8 to 256 characters. */
export const newPasswordSchema = z.string().min(8).max(256)

/** `POST /api/admin/session` body (the console's sign-in). */
export const adminSessionRequestSchema = z.strictObject({
  staffId: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  totp: z.string().max(16).optional(),
  /** One of the account's recovery codes instead of `totp` (each works once). */
  recoveryCode: z.string().max(32).optional(),
})

/** `POST /api/admin/session` and `GET /api/admin/session` answer. */
export interface AdminSession {
  staffId: string
  role: StaffRole
  storeCode: string | null
  totpEnrolled: boolean
  /** Send as `X-CSRF-Token` with every cookie-authenticated write. */
  csrfToken: string
}

/** `POST /api/admin/totp/enroll` answer. */
export interface TotpEnrollment {
  secret: string
  otpauthUrl: string
}

/** `POST /api/admin/totp/confirm` body. */
export const totpConfirmSchema = z.strictObject({ code: z.string().regex(/^\d{6}$/) })

/**
 * `POST /api/admin/totp/confirm` and `POST /api/admin/totp/recovery-codes` answer: the new
 * recovery codes, shown this once (decision 093).
 */
export interface RecoveryCodes {
  recoveryCodes: string[]
}

/** `GET /api/admin/totp/recovery-codes` answer. */
export interface RecoveryCodeStatus {
  /** Unused codes left. */
  remaining: number
  /** When the current codes were made (ISO-8601), or null when there are none. */
  generatedAt: string | null
}

/** `GET /api/admin/stores` item. */
export interface AdminStore {
  code: string
  name: string
  active: boolean
}

/** `POST /api/admin/stores` body. */
export const storeCreateSchema = z.strictObject({
  code: storeCodeSchema,
  name: z.string().trim().min(1).max(100),
})

/** `PATCH /api/admin/stores/{code}` body. */
export const storePatchSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  active: z.boolean().optional(),
})

/** `GET /api/admin/staff` item. */
export interface AdminStaff {
  staffId: string
  role: StaffRole
  storeCode: string | null
  disabled: boolean
  totpEnrolled: boolean
  lastSignInAt: string | null
}

/** `POST /api/admin/staff` body. */
export const staffCreateSchema = z.strictObject({
  staffId: staffIdSchema,
  role: z.enum(STAFF_ROLES),
  storeCode: storeCodeSchema.nullable().optional(),
  password: newPasswordSchema,
})

/** `PATCH /api/admin/staff/{staffId}` body. */
export const staffPatchSchema = z.strictObject({
  role: z.enum(STAFF_ROLES).optional(),
  storeCode: storeCodeSchema.nullable().optional(),
  disabled: z.boolean().optional(),
})

/** `POST /api/admin/staff/{staffId}/password` body. */
export const staffPasswordSchema = z.strictObject({ password: newPasswordSchema })

/** `GET /api/admin/audit` query: dates are `YYYY-MM-DD` in the till's time zone. */
export const auditQuerySchema = z.strictObject({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional(),
  actor: z.string().min(1).max(64).optional(),
  action: z
    .string()
    .regex(/^[A-Za-z.]{1,64}$/)
    .optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
})

/** One audit entry. */
export interface AuditItem {
  id: string
  at: string
  actor: string
  action: string
  target: string | null
  address: string | null
  detail: Record<string, unknown>
}
