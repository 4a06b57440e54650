import type { LineMessage } from './flex-card.ts'

/**
 * What a LINE message looks like in the chat, as a small model the preview component draws
 * (pure, unit-tested): a text balloon, an image, or a Flex bubble read generically (its hero
 * image, texts in order, buttons). Anything else shows its alternative text, as LINE does on
 * a device that cannot draw it.
 */

export interface PreviewText {
  text: string
  bold: boolean
  small: boolean
  color: string | null
}
export interface PreviewButton {
  label: string
  uri: string | null
  primary: boolean
  color: string | null
}

export type PreviewBubble =
  | { kind: 'text'; text: string }
  | { kind: 'image'; url: string; link: string | null }
  | {
      kind: 'flex'
      altText: string
      image: { url: string; link: string | null } | null
      texts: PreviewText[]
      buttons: PreviewButton[]
    }
  | { kind: 'other'; altText: string; type: string }

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null
const str = (v: unknown) => (typeof v === 'string' ? v : '')
const list = (v: unknown): Obj[] =>
  Array.isArray(v) ? v.map(obj).filter((x): x is Obj => x !== null) : []

/** The texts and buttons of a Flex box, depth first in reading order. */
function walk(box: Obj | null, texts: PreviewText[], buttons: PreviewButton[]) {
  if (!box) return
  if (box.type === 'text') {
    texts.push({
      text: str(box.text),
      bold: box.weight === 'bold',
      small: ['xxs', 'xs', 'sm'].includes(str(box.size)),
      color: str(box.color) || null,
    })
  } else if (box.type === 'button') {
    const action = obj(box.action)
    buttons.push({
      label: str(action?.label),
      uri: action?.type === 'uri' ? str(action.uri) : null,
      primary: box.style === 'primary',
      color: str(box.color) || null,
    })
  } else if (box.type === 'box') {
    for (const c of list(box.contents)) walk(c, texts, buttons)
  }
}

function uriOf(action: unknown): string | null {
  const a = obj(action)
  return a?.type === 'uri' ? str(a.uri) : null
}

export function previewOf(message: LineMessage): PreviewBubble {
  const m = message as Obj
  if (m.type === 'text') return { kind: 'text', text: str(m.text) }
  if (m.type === 'image') return { kind: 'image', url: str(m.previewImageUrl), link: null }
  const bubble = m.type === 'flex' ? obj(m.contents) : null
  if (bubble?.type === 'bubble') {
    const texts: PreviewText[] = []
    const buttons: PreviewButton[] = []
    for (const part of ['header', 'body', 'footer']) walk(obj(bubble[part]), texts, buttons)
    const hero = obj(bubble.hero)
    return {
      kind: 'flex',
      altText: str(m.altText),
      image: hero?.type === 'image' ? { url: str(hero.url), link: uriOf(hero.action) } : null,
      texts,
      buttons,
    }
  }
  return { kind: 'other', altText: str(m.altText), type: str(m.type) }
}
