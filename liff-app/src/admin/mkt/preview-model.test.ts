import { describe, expect, it } from 'vitest'
import { cardMessage, imageMessage } from './flex-card.ts'
import { previewOf } from './preview-model.ts'

describe('the chat preview model', () => {
  it('shows a text as a balloon, with its emoji', () => {
    expect(previewOf({ type: 'text', text: 'こんにちは👋' })).toEqual({
      kind: 'text',
      text: 'こんにちは👋',
    })
  })

  it('reads a card bubble: its image, its bold title, its text and its LIFF button', () => {
    const m = cardMessage(
      {
        imageUrl: 'https://e.com/a.png',
        title: '冬のセール',
        body: '全品10%オフ',
        buttonLabel: '会員証を開く',
        path: '/',
        altText: '',
      },
      'L-1',
    )
    expect(previewOf(m)).toEqual({
      kind: 'flex',
      altText: '冬のセール',
      image: { url: 'https://e.com/a.png', link: null },
      texts: [
        { text: '冬のセール', bold: true, small: false, color: null },
        { text: '全品10%オフ', bold: false, small: true, color: '#555555' },
      ],
      buttons: [
        { label: '会員証を開く', uri: 'https://liff.line.me/L-1', primary: true, color: '#00703C' },
      ],
    })
  })

  it('reads an image and a tappable image, and falls back to the alternative text', () => {
    expect(
      previewOf(imageMessage({ imageUrl: 'https://e.com/a.png', link: '', altText: '' })),
    ).toEqual({
      kind: 'image',
      url: 'https://e.com/a.png',
      link: null,
    })
    const linked = previewOf(
      imageMessage({ imageUrl: 'https://e.com/a.png', link: 'https://shop.example/', altText: '' }),
    )
    expect(linked).toMatchObject({
      kind: 'flex',
      image: { link: 'https://shop.example/' },
      texts: [],
    })
    expect(
      previewOf({
        type: 'flex',
        altText: 'カルーセル',
        contents: { type: 'carousel', contents: [] },
      }),
    ).toEqual({ kind: 'other', altText: 'カルーセル', type: 'flex' })
  })
})
