import { describe, expect, it } from 'vitest'
import { adminJa } from '../admin/i18n/ja.ts'
import { staffMessages } from '../staff/messages.ts'
import { en } from './en.ts'
import { ja } from './ja.ts'
import { jaScreens } from './ja-screens.ts'

/** Every message string of a tree, with its key. */
function strings(tree: unknown, at = ''): [string, string][] {
  if (typeof tree === 'string') return [[at, tree]]
  if (typeof tree !== 'object' || tree === null) return []
  return Object.entries(tree).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k))
}

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/
const jaStrings = [...strings(ja), ...strings(jaScreens), ...strings(staffMessages.ja)]
const all = [...jaStrings, ...strings(en), ...strings(staffMessages.en)]

describe('message typography', () => {
  it('uses full-width colons in Japanese text', () => {
    const halfWidth = jaStrings.filter(
      ([, s]) => JAPANESE.test(s) && /[\u3040-\u30ff\u4e00-\u9fff）]:/.test(s),
    )
    expect(halfWidth).toEqual([])
    expect(staffMessages.ja.award.preview).toBe('付与予定：{points}\u00a0pt')
  })

  it('never lets a number be split from its unit across lines', () => {
    // A placeholder followed by a unit: a no-break space or a word joiner, never a plain space
    // or nothing (Japanese text may break between a digit and a kana).
    const breakable = all.filter(([, s]) =>
      /\{\w+\}( (pt|円|分|秒|yen)\b| [円分秒]|(ポイント|分|円|倍|件|日))/.test(s),
    )
    expect(breakable).toEqual([])
  })

  it('says ログイン for signing in, everywhere', () => {
    expect(jaStrings.filter(([, s]) => /サインイン|サインアウト/.test(s))).toEqual([])
    // The head office's console too.
    expect(strings(adminJa).filter(([, s]) => /サインイン|サインアウト/.test(s))).toEqual([])
  })
})
