import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { checkHost, hostOf } from './address-guard.ts'

/** What one POST got: the status, or why there was none. */
export type SendOutcome = { status: number } | { status: null; error: string }

/**
 * POSTs `body` to `url` and resolves with the answer's status (its body is not read), or the
 * error (refused target, connection failure, timeout). The host is resolved and every address
 * checked first (unless `allowPrivate`); the connection goes to the address checked, so a
 * name that resolves otherwise a moment later (DNS rebinding) is not followed. Redirects are
 * not followed.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendOutcome> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return { status: null, error: 'not a URL' }
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    return { status: null, error: 'not an http(s) URL' }
  }
  const checked = await checkHost(hostOf(target), o.allowPrivate)
  if (!checked.ok) return { status: null, error: `refused: ${checked.reason}` }
  const pinned = checked.addresses[0] as { address: string; family: number }
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      ;(callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        pinned,
      ])
    } else {
      callback(null, pinned.address, pinned.family)
    }
  }
  const client = target.protocol === 'https:' ? https : http
  return new Promise<SendOutcome>((resolve) => {
    let settled = false
    const done = (o: SendOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(o)
    }
    const req = client.request(
      target,
      {
        method: 'POST',
        agent: false,
        lookup,
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
          'User-Agent': 'membercard-webhooks/1',
        },
      },
      (res) => {
        // The status is all that counts; the body is drained and dropped.
        res.resume()
        res.on('error', () => undefined)
        done({ status: res.statusCode ?? 0 })
      },
    )
    const timer = setTimeout(() => {
      req.destroy()
      done({ status: null, error: `no answer within ${o.timeoutMs} ms` })
    }, o.timeoutMs)
    req.on('error', (err) => done({ status: null, error: err.message.slice(0, 200) }))
    req.end(body)
  })
}
