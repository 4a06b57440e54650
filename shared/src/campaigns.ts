import { z } from 'zod'
import { segmentSchema } from './segments.ts'

/**
 * Campaigns, automations and their messages (docs/segments.md): the LINE message objects the
 * console composes, checked here before LINE's own validation endpoint sees them.
 */

/** At most this many messages in one campaign or automation (LINE's multicast limit). */
export const MAX_MESSAGES = 5

const httpsUrl = z
  .string({ error: 'must be an https URL' })
  .max(2000, 'must be at most 2000 characters')
  .refine((s) => {
    try {
      return new URL(s).protocol === 'https:'
    } catch {
      return false
    }
  }, 'must be an https URL')

/** A text message (emoji included: LINE emoji by `emojis`, Unicode emoji in the text). */
const textMessage = z.strictObject({
  type: z.literal('text'),
  text: z.string().min(1, 'must not be empty').max(5000, 'must be at most 5000 characters'),
  emojis: z
    .array(
      z.strictObject({
        index: z.number().int().min(0),
        productId: z.string().min(1).max(64),
        emojiId: z.string().min(1).max(64),
      }),
    )
    .max(20, 'lists too many emoji')
    .optional(),
})

/** An image message. */
const imageMessage = z.strictObject({
  type: z.literal('image'),
  originalContentUrl: httpsUrl,
  previewImageUrl: httpsUrl,
})

/** A Flex message: a bubble or a carousel (LINE's validation endpoint checks the rest). */
const flexMessage = z.strictObject({
  type: z.literal('flex'),
  altText: z.string().min(1, 'must not be empty').max(1500, 'must be at most 1500 characters'),
  contents: z.looseObject({
    type: z.enum(['bubble', 'carousel'], { error: 'must be "bubble" or "carousel"' }),
  }),
})

export const lineMessageSchema = z.discriminatedUnion(
  'type',
  [textMessage, imageMessage, flexMessage],
  {
    error: 'must be a text, image or flex message',
  },
)
export type LineMessage = z.infer<typeof lineMessageSchema>

/** 1–5 message objects. */
export const lineMessagesSchema = z
  .array(lineMessageSchema, { error: 'must be an array of message objects' })
  .min(1, 'must hold at least one message')
  .max(MAX_MESSAGES, `must hold at most ${MAX_MESSAGES} messages`)

/** `POST /api/admin/campaigns`. */
export const campaignCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  segment: segmentSchema,
  messages: lineMessagesSchema,
  scheduledAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date and time' })
    .optional(),
})
export type CampaignCreate = z.infer<typeof campaignCreateSchema>

/** `POST /api/admin/messages/validate` and `POST /api/admin/campaigns/test`. */
export const messagesBodySchema = z.strictObject({ messages: lineMessagesSchema })

/** `POST /api/admin/segments` (a saved segment). */
export const savedSegmentCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  segment: segmentSchema,
})

/** A LINE user ID: `U` and 32 hex digits. */
export const lineUserIdSchema = z
  .string()
  .regex(/^U[0-9a-f]{32}$/, 'must be a LINE user ID (U + 32 hex digits)')

/** `POST /api/admin/test-recipients`. */
export const testRecipientCreateSchema = z.strictObject({
  lineUserId: lineUserIdSchema,
  label: z.string().trim().min(1, 'must not be empty').max(50, 'must be at most 50 characters'),
})

/** `GET` / `PUT /api/admin/messaging-settings`. */
export const messagingSettingsSchema = z.strictObject({
  frequencyCap: z.strictObject({
    messages: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1 or more')
      .max(100, 'must be at most 100'),
    days: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1 or more')
      .max(365, 'must be at most 365'),
  }),
  automationHour: z
    .number()
    .int('must be a whole hour')
    .min(0, 'must be 0–23')
    .max(23, 'must be 0–23'),
})
export type MessagingSettings = z.infer<typeof messagingSettingsSchema>

/** `PUT /api/admin/automations/{kind}` (the params are checked per kind by the server). */
export const automationPutSchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }),
  messages: z
    .array(lineMessageSchema)
    .max(MAX_MESSAGES, `must hold at most ${MAX_MESSAGES} messages`),
  params: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
})

/** `?cursor=` of the campaign and run lists. */
export const listCursorQuerySchema = z.strictObject({
  cursor: z
    .string()
    .regex(/^[0-9]{1,15}$/, 'must be a cursor from the previous page')
    .optional(),
})
