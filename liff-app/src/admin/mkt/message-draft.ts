import {
  cardMessage,
  imageMessage,
  isHttpsUrl,
  LIMITS,
  type LineMessage,
  textMessage,
} from './flex-card.ts'

/**
 * One message of the composer as the operator edits it, and the mapping to and from LINE's
 * message objects (pure, unit-tested). A message the composer did not make (another tool's
 * Flex JSON) is kept as it is (`raw`) and can be removed but not edited.
 */

export type DraftKind = 'text' | 'image' | 'card'
export const MAX_MESSAGES = 5

export type MessageDraft =
  | { id: number; kind: 'text'; text: string }
  | { id: number; kind: 'image'; imageUrl: string; link: string; altText: string }
  | {
      id: number
      kind: 'card'
      imageUrl: string
      title: string
      body: string
      buttonLabel: string
      path: string
      altText: string
    }
  | { id: number; kind: 'raw'; message: LineMessage }

export type DraftProblem =
  | 'textMissing'
  | 'textTooLong'
  | 'imageUrl'
  | 'linkUrl'
  | 'titleMissing'
  | 'titleTooLong'
  | 'bodyTooLong'
  | 'buttonLabelMissing'
  | 'buttonLabelTooLong'
  | 'pathInvalid'

let nextId = 1

export function newDraft(kind: DraftKind): MessageDraft {
  const id = nextId++
  switch (kind) {
    case 'text':
      return { id, kind, text: '' }
    case 'image':
      return { id, kind, imageUrl: '', link: '', altText: '' }
    case 'card':
      return {
        id,
        kind,
        imageUrl: '',
        title: '',
        body: '',
        buttonLabel: '会員証を開く',
        path: '/',
        altText: '',
      }
  }
}

/** LINE counts a text's length in UTF-16 code units (an emoji is 2). */
export const lineLength = (s: string) => s.length

/** What is wrong with a draft, in the order the fields appear. */
export function draftProblems(d: MessageDraft): DraftProblem[] {
  const out: DraftProblem[] = []
  switch (d.kind) {
    case 'text':
      if (!d.text.trim()) out.push('textMissing')
      if (lineLength(d.text) > LIMITS.text) out.push('textTooLong')
      break
    case 'image':
      if (!isHttpsUrl(d.imageUrl.trim())) out.push('imageUrl')
      if (d.link.trim() && !isHttpsUrl(d.link.trim())) out.push('linkUrl')
      break
    case 'card':
      if (d.imageUrl.trim() && !isHttpsUrl(d.imageUrl.trim())) out.push('imageUrl')
      if (!d.title.trim()) out.push('titleMissing')
      if (lineLength(d.title) > LIMITS.title) out.push('titleTooLong')
      if (lineLength(d.body) > LIMITS.body) out.push('bodyTooLong')
      if (!d.buttonLabel.trim()) out.push('buttonLabelMissing')
      if (lineLength(d.buttonLabel) > LIMITS.buttonLabel) out.push('buttonLabelTooLong')
      if (!/^\/[A-Za-z0-9\-._~/?=&%]*$/.test(d.path.trim())) out.push('pathInvalid')
      break
    case 'raw':
      break
  }
  return out
}

/** The LINE message object of a draft. */
export function toMessage(d: MessageDraft, liffId: string | null): LineMessage {
  switch (d.kind) {
    case 'text':
      return textMessage(d.text)
    case 'image':
      return imageMessage(d)
    case 'card':
      return cardMessage(d, liffId)
    case 'raw':
      return d.message
  }
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null
const str = (v: unknown) => (typeof v === 'string' ? v : '')

/** The LIFF path of a LIFF address (`https://liff.line.me/<id>/coupons` → `/coupons`). */
export function pathOfLiffUrl(uri: string): string | null {
  const m = /^https:\/\/liff\.line\.me\/[^/?#]+(\/[^#]*)?$/.exec(uri)
  if (m) return m[1] ?? '/'
  const d = /^https:\/\/line\.me(\/[^#]*)$/.exec(uri)
  return d ? (d[1] ?? '/') : null
}

function cardDraft(id: number, m: Obj, bubble: Obj): MessageDraft | null {
  const body = obj(bubble.body)
  const texts = Array.isArray(body?.contents) ? (body.contents as unknown[]).map(obj) : []
  const footer = obj(bubble.footer)?.contents
  const button = obj(Array.isArray(footer) ? footer[0] : null)
  const action = obj(button?.action)
  const path = pathOfLiffUrl(str(action?.uri))
  const title = texts[0]
  if (title?.type !== 'text' || texts.length > 2 || !action || path === null) return null
  return {
    id,
    kind: 'card',
    imageUrl: str(obj(bubble.hero)?.url),
    title: str(title.text),
    body: str(texts[1]?.text),
    buttonLabel: str(action.label),
    path,
    altText: str(m.altText) === str(title.text) ? '' : str(m.altText),
  }
}

/** A LINE message object as a draft the composer edits (`raw` when it did not make it). */
export function fromMessage(message: LineMessage): MessageDraft {
  const id = nextId++
  const m = message as Obj
  if (m.type === 'text' && typeof m.text === 'string' && !m.emojis && !m.quickReply) {
    return { id, kind: 'text', text: m.text }
  }
  if (m.type === 'image' && m.originalContentUrl === m.previewImageUrl) {
    return { id, kind: 'image', imageUrl: str(m.originalContentUrl), link: '', altText: '' }
  }
  const bubble = m.type === 'flex' ? obj(m.contents) : null
  if (bubble?.type === 'bubble') {
    const hero = obj(bubble.hero)
    const heroAction = obj(hero?.action)
    if (hero && heroAction && !bubble.body && !bubble.footer) {
      const link = str(heroAction.uri)
      return {
        id,
        kind: 'image',
        imageUrl: str(hero.url),
        link,
        altText: str(m.altText) === link ? '' : str(m.altText),
      }
    }
    const card = cardDraft(id, m, bubble)
    if (card) return card
  }
  return { id, kind: 'raw', message }
}
