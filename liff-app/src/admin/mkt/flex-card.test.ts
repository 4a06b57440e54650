import { describe, expect, it } from 'vitest'
import { cardMessage, imageMessage, isHttpsUrl, liffUrl } from './flex-card.ts'

describe('the Flex card and image messages', () => {
  it('builds a card whose button opens the LIFF app at the chosen screen', () => {
    const m = cardMessage(
      {
        imageUrl: 'https://example.com/sale.png',
        title: ' 冬のポイント2倍 🎉 ',
        body: '12月31日まで',
        buttonLabel: '会員証を開く',
        path: '/coupons',
        altText: '',
      },
      '1000000000-demo',
    )
    expect(m).toEqual({
      type: 'flex',
      altText: '冬のポイント2倍 🎉',
      contents: {
        type: 'bubble',
        hero: {
          type: 'image',
          url: 'https://example.com/sale.png',
          size: 'full',
          aspectRatio: '20:13',
          aspectMode: 'cover',
        },
        body: {
          type: 'box',
          layout: 'vertical',
          spacing: 'md',
          contents: [
            { type: 'text', text: '冬のポイント2倍 🎉', weight: 'bold', size: 'lg', wrap: true },
            { type: 'text', text: '12月31日まで', size: 'sm', color: '#555555', wrap: true },
          ],
        },
        footer: {
          type: 'box',
          layout: 'vertical',
          contents: [
            {
              type: 'button',
              style: 'primary',
              color: '#00703C',
              action: {
                type: 'uri',
                label: '会員証を開く',
                uri: 'https://liff.line.me/1000000000-demo/coupons',
              },
            },
          ],
        },
      },
    })
  })

  it('leaves out an empty image and an empty text, and uses the given alternative text', () => {
    const m = cardMessage(
      { imageUrl: ' ', title: 'T', body: '', buttonLabel: 'B', path: '/', altText: 'お知らせ' },
      'x',
    ) as unknown as { altText: string; contents: Record<string, unknown> }
    expect(m.altText).toBe('お知らせ')
    expect('hero' in m.contents).toBe(false)
    expect((m.contents.body as { contents: unknown[] }).contents).toHaveLength(1)
  })

  it('makes a plain image message, or a tappable image bubble when there is a link', () => {
    expect(imageMessage({ imageUrl: 'https://e.com/a.jpg', link: '', altText: '' })).toEqual({
      type: 'image',
      originalContentUrl: 'https://e.com/a.jpg',
      previewImageUrl: 'https://e.com/a.jpg',
    })
    expect(
      imageMessage({ imageUrl: 'https://e.com/a.jpg', link: 'https://shop.example/', altText: '' }),
    ).toEqual({
      type: 'flex',
      altText: 'https://shop.example/',
      contents: {
        type: 'bubble',
        hero: {
          type: 'image',
          url: 'https://e.com/a.jpg',
          size: 'full',
          aspectRatio: '20:13',
          aspectMode: 'cover',
          action: { type: 'uri', uri: 'https://shop.example/' },
        },
      },
    })
  })

  it('makes LIFF addresses as the server does, and takes only https addresses', () => {
    expect(liffUrl('123-abc', '/')).toBe('https://liff.line.me/123-abc')
    expect(liffUrl('123-abc', 'history')).toBe('https://liff.line.me/123-abc/history')
    expect(liffUrl(null, '/')).toBe('https://line.me/')
    expect(isHttpsUrl('https://e.com/x.png')).toBe(true)
    expect(isHttpsUrl('http://e.com/x.png')).toBe(false)
    expect(isHttpsUrl('e.com/x.png')).toBe(false)
  })
})
