import type { MiddlewareHandler } from 'hono'
import { ApiError } from './api-error.ts'
import { hostnameOf, isLoopbackHost } from './loopback.ts'

/**
 * Demo mode's guard against DNS rebinding (docs/decisions/030): a web page on another site can
 * point its own name at 127.0.0.1 and then call this server from the visitor's browser, with
 * its own name in `Host`. Only loopback names and addresses and PUBLIC_URL's host are answered;
 * any other `Host` (or absolute-form target) gets 421 HOST_NOT_ALLOWED before anything runs.
 */
export function demoHostCheck(publicUrl: string): MiddlewareHandler {
  const publicHost = hostnameOf(new URL(publicUrl).host)
  const allowed = (name: string | undefined) =>
    name !== undefined && (name === publicHost || isLoopbackHost(name))
  return function demoHostCheckMiddleware(c, next) {
    // The URL the app routes on carries the Host header's name, or an absolute-form target's.
    const header = c.req.header('host')
    if (
      !allowed(hostnameOf(new URL(c.req.url).host)) ||
      (header !== undefined && !allowed(hostnameOf(header)))
    ) {
      throw new ApiError(
        'HOST_NOT_ALLOWED',
        `This demo server answers only to localhost, 127.0.0.1, [::1] and PUBLIC_URL's host (${publicHost}). Open one of those, or set PUBLIC_URL to the address you use.`,
      )
    }
    return next()
  }
}
