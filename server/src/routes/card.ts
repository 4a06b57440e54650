import { Hono } from 'hono'
import { NotLinked } from '../domain/errors.ts'
import { issueQrToken } from '../services/qr-token.ts'
import type { Env, RouteDeps } from './deps.ts'

/** `GET /api/card/qr`: a short-lived signed token for the member QR code. */
export function cardRoutes({ membership, clock, config, secrets, customerAuth }: RouteDeps) {
  return new Hono<Env>().get('/card/qr', customerAuth, async (c) => {
    const linkId = await membership.activeLinkId(c.get('lineUserId'))
    if (linkId === null) throw new NotLinked()
    const expiresAtSec = Math.floor(clock.now() / 1000) + config.cardTokenTtlSeconds
    const token = issueQrToken(secrets.qrTokenKey, linkId, expiresAtSec)
    // `Cache-Control: no-store` comes with every API answer (http/node-listener.ts).
    return c.json({ token, expiresAt: new Date(expiresAtSec * 1000).toISOString() }, 200)
  })
}
