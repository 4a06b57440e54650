import { describe, expect, it } from 'vitest'
import {
  draftProblems,
  fromMessage,
  type MessageDraft,
  newDraft,
  toMessage,
} from './message-draft.ts'

const strip = ({ id: _id, ...rest }: MessageDraft) => rest

describe('the composer drafts', () => {
  it('round-trips a text with emoji, an image with a link, and a card through LINE JSON', () => {
    const drafts: MessageDraft[] = [
      { id: 1, kind: 'text', text: '今月のお誕生日の方へ🎂 ポイント2倍！' },
      {
        id: 2,
        kind: 'image',
        imageUrl: 'https://e.com/a.png',
        link: 'https://e.com/',
        altText: 'セール',
      },
      { id: 3, kind: 'image', imageUrl: 'https://e.com/b.png', link: '', altText: '' },
      {
        id: 4,
        kind: 'card',
        imageUrl: '',
        title: 'クーポン',
        body: '本文',
        buttonLabel: '開く',
        path: '/coupons',
        altText: '',
      },
    ]
    for (const d of drafts) {
      expect(strip(fromMessage(toMessage(d, '1000000000-demo')))).toEqual(strip(d))
    }
  })

  it('keeps a message it did not make as it is', () => {
    const other = { type: 'sticker', packageId: '446', stickerId: '1988' }
    const d = fromMessage(other)
    expect(d.kind).toBe('raw')
    expect(toMessage(d, null)).toBe(other)
    const carousel = { type: 'flex', altText: 'x', contents: { type: 'carousel', contents: [] } }
    expect(fromMessage(carousel).kind).toBe('raw')
  })

  it('says what is missing or too long before LINE is asked', () => {
    expect(draftProblems(newDraft('text'))).toEqual(['textMissing'])
    expect(draftProblems({ id: 0, kind: 'text', text: '😀'.repeat(2501) })).toEqual(['textTooLong'])
    expect(
      draftProblems({
        id: 0,
        kind: 'image',
        imageUrl: 'http://e.com/a.png',
        link: 'ftp://x',
        altText: '',
      }),
    ).toEqual(['imageUrl', 'linkUrl'])
    const card = newDraft('card')
    expect(draftProblems(card)).toEqual(['titleMissing'])
    if (card.kind !== 'card') throw new Error('a card draft')
    expect(
      draftProblems({
        ...card,
        title: 'x',
        buttonLabel: 'あ'.repeat(41),
        path: 'https://evil.example',
      }),
    ).toEqual(['buttonLabelTooLong', 'pathInvalid'])
  })
})
