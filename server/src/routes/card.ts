import { Hono } from 'hono'
import { NotLinked } from '../domain/errors.ts'
import { OFFLINE_CODE, OFFLINE_QR_PREFIX } from '../services/offline-code.ts'
import { issueQrToken } from '../services/qr-token.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `GET /api/card/qr`: a short-lived signed token for the member QR code.
 * `POST /api/card/device-key`: a new key for offline codes on this phone (decision 067).
 */
export function cardRoutes({
  membership,
  clock,
  config,
  secrets,
  customerAuth,
  offlineCodes,
}: RouteDeps) {
  return new Hono<Env>()
    .get('/card/qr', customerAuth, async (c) => {
      const linkId = await membership.activeLinkId(c.get('lineUserId'))
      if (linkId === null) throw new NotLinked()
      const expiresAtSec = Math.floor(clock.now() / 1000) + config.cardTokenTtlSeconds
      const token = issueQrToken(secrets.qrTokenKey, linkId, expiresAtSec)
      // `Cache-Control: no-store` comes with every API answer (http/node-listener.ts).
      return c.json({ token, expiresAt: new Date(expiresAtSec * 1000).toISOString() }, 200)
    })
    .post('/card/device-key', customerAuth, async (c) => {
      const linkId = await membership.activeLinkId(c.get('lineUserId'))
      if (linkId === null) throw new NotLinked()
      const key = await offlineCodes.issue(linkId)
      return c.json(
        {
          linkId,
          secret: key.secret,
          digits: OFFLINE_CODE.digits,
          period: OFFLINE_CODE.period,
          qrPrefix: OFFLINE_QR_PREFIX,
          issuedAt: new Date(key.issuedAt).toISOString(),
        },
        200,
      )
    })
}
