import type { MeMember } from '@membercard/shared'
import { Hono, type TypedResponse } from 'hono'
import type { Env, RouteDeps } from './deps.ts'

const UNLINKED = JSON.stringify({ linked: false })

/** The answer's type for the typed client (`hc<AppType>`): what `c.json` would declare. */
type MeAnswer = TypedResponse<{ linked: true; member: MeMember } | { linked: false }, 200, 'json'>

/** `GET /api/me`: whether the LINE user is linked, and to whom. */
export function meRoutes({ membership, customerAuth }: RouteDeps) {
  // The answer's text per member object. A standing kept by the fresh-cache is one frozen
  // object served again and again, so its answer is serialized once while it is kept
  // (decision 103); an uncached standing is a new object each time.
  const answers = new WeakMap<Readonly<MeMember>, string>()
  const answerOf = (member: Readonly<MeMember>) => {
    let text = answers.get(member)
    if (text === undefined) {
      text = JSON.stringify({ linked: true, member })
      answers.set(member, text)
    }
    return text
  }
  return new Hono<Env>().get('/me', customerAuth, async (c) => {
    // A returning user is answered from the fresh-cache at once; the reads of new users whose
    // tokens were verified together share one read transaction (db/fresh-cache.ts).
    const member = await membership.standingOf(c.get('lineUserId'))
    const res = c.body(member ? answerOf(member) : UNLINKED, 200, {
      'Content-Type': 'application/json',
    })
    return res as unknown as Response & MeAnswer
  })
}
