/**
 * LINE message objects the composer builds from a few fields (pure, unit-tested): a Flex
 * "card" (an optional image, a title, a text and a button that opens the LIFF app) and an image
 * that opens a link when tapped. LINE's own limits are checked here so the operator hears
 * about them before LINE's validation does (docs/decisions/081).
 */

/** A LINE message object, as sent to the Messaging API. */
export type LineMessage = { type: string } & Record<string, unknown>

export const LIMITS = {
  text: 5000,
  altText: 400,
  title: 100,
  body: 2000,
  buttonLabel: 40,
  url: 2000,
} as const

/** A green dark enough for white text (6:1); LINE's own #06C755 gives 2.2:1. */
export const BUTTON_COLOR = '#00703C'

/** The address that opens the LIFF app at `path` (as the server's rich menus link it). */
export function liffUrl(liffId: string | null, path: string): string {
  const p = path.trim().startsWith('/') ? path.trim() : `/${path.trim()}`
  return liffId ? `https://liff.line.me/${liffId}${p === '/' ? '' : p}` : `https://line.me${p}`
}

export function isHttpsUrl(value: string): boolean {
  try {
    const u = new URL(value)
    return u.protocol === 'https:' && value.length <= LIMITS.url
  } catch {
    return false
  }
}

export interface CardFields {
  imageUrl: string
  title: string
  body: string
  buttonLabel: string
  /** The LIFF app's screen the button opens (`/`, `/coupons`, …). */
  path: string
  /** What the chat list and notifications show. */
  altText: string
}

const hero = (url: string, action?: { type: 'uri'; uri: string }) => ({
  type: 'image',
  url,
  size: 'full',
  aspectRatio: '20:13',
  aspectMode: 'cover',
  ...(action ? { action } : {}),
})

/** The Flex "card" message: a bubble with the image, the title, the text and one button. */
export function cardMessage(f: CardFields, liffId: string | null): LineMessage {
  const body = [
    { type: 'text', text: f.title.trim(), weight: 'bold', size: 'lg', wrap: true },
    ...(f.body.trim()
      ? [{ type: 'text', text: f.body.trim(), size: 'sm', color: '#555555', wrap: true }]
      : []),
  ]
  return {
    type: 'flex',
    altText: (f.altText.trim() || f.title.trim()).slice(0, LIMITS.altText),
    contents: {
      type: 'bubble',
      ...(f.imageUrl.trim() ? { hero: hero(f.imageUrl.trim()) } : {}),
      body: { type: 'box', layout: 'vertical', spacing: 'md', contents: body },
      footer: {
        type: 'box',
        layout: 'vertical',
        contents: [
          {
            type: 'button',
            style: 'primary',
            color: BUTTON_COLOR,
            action: { type: 'uri', label: f.buttonLabel.trim(), uri: liffUrl(liffId, f.path) },
          },
        ],
      },
    },
  }
}

export interface ImageFields {
  imageUrl: string
  /** Opened when the image is tapped; empty for a plain image. */
  link: string
  altText: string
}

/**
 * An image: LINE's image message when there is no link; with a link, a Flex bubble that is
 * only the image, whose tap opens the link (LINE's image message cannot carry one).
 */
export function imageMessage(f: ImageFields): LineMessage {
  const url = f.imageUrl.trim()
  const link = f.link.trim()
  if (!link) return { type: 'image', originalContentUrl: url, previewImageUrl: url }
  return {
    type: 'flex',
    altText: (f.altText.trim() || link).slice(0, LIMITS.altText),
    contents: { type: 'bubble', hero: hero(url, { type: 'uri', uri: link }) },
  }
}

export function textMessage(text: string): LineMessage {
  return { type: 'text', text }
}
