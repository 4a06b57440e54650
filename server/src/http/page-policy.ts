import { randomBytes } from 'node:crypto'
import type { Context } from 'hono'

/**
 * The Content-Security-Policy of the app's pages (docs/decisions/031). Every page is a Vue app
 * built by Vite: its scripts and stylesheets are files of this origin, nothing runs inline. On
 * top of `'self'` a page allows only what it needs:
 * - in LINE mode, what the LIFF SDK loads and calls itself (below);
 * - the till, WebAssembly (`'wasm-unsafe-eval'`): its camera scanner falls back to ZXing in
 *   WebAssembly where the browser has no BarcodeDetector;
 * - every page, `<style>` elements carrying the page's nonce (a fresh one per answer, handed to
 *   the page in `<meta property="csp-nonce" nonce="…">`, Vite's convention): what a component
 *   library injects at run time when given the nonce (PrimeVue: `csp: { nonce }`). No
 *   `'unsafe-inline'`. Styles set through the CSSOM (Vue's `:style`, `v-show`) are not governed
 *   by CSP; a `style="…"` attribute parsed from HTML is refused.
 * The API reference page (`/api/docs`, decision 088) runs under the console's policy.
 */
export type PageKind = 'customer' | 'till' | 'console' | 'docs'

/**
 * What the LIFF SDK (v2.31) reaches by itself in LINE mode, read from its code: its server API
 * and ID-token checks at api.line.me, its message catalogue on liffsdk.line-scdn.net, and the
 * scripts it adds inside LINE (client extensions; the alert shown on an outdated LINE app) from
 * static.line-scdn.net. LINE Login itself is a navigation (to access.line.me), which CSP does
 * not restrict.
 */
const LIFF_CONNECT = ['https://api.line.me', 'https://liffsdk.line-scdn.net']
const LIFF_SCRIPT = ['https://static.line-scdn.net']
/** The till loads the full SDK (for `scanCodeV2`), whose usage statistics go here. */
const LIFF_FULL_CONNECT = ['https://uts-front.line-apps.com']

/** The policy of one page: its kind, whether LIFF runs against real LINE, the nonce. */
export function pagePolicy(o: { kind: PageKind; line: boolean; nonce: string }): string {
  const liff = o.line && (o.kind === 'customer' || o.kind === 'till')
  const script = ["'self'"]
  if (o.kind === 'till') script.push("'wasm-unsafe-eval'")
  if (liff) script.push(...LIFF_SCRIPT)
  const connect = ["'self'"]
  if (liff) connect.push(...LIFF_CONNECT)
  if (liff && o.kind === 'till') connect.push(...LIFF_FULL_CONNECT)
  return [
    "default-src 'none'",
    `script-src ${script.join(' ')}`,
    `style-src 'self' 'nonce-${o.nonce}'`,
    // Vite inlines assets under 4 KB (an icon, a font) as data: URIs. The console also draws
    // the images of the messages an operator composes (https only; docs/decisions/081).
    o.kind === 'console' ? "img-src 'self' data: https:" : "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ')
}

/**
 * The policy of every other answer outside the API (files, `/healthz`, error answers, an HTML
 * file served as it is): nothing may run or load, so a document the app did not build as a page
 * cannot do anything.
 */
export const LOCKED_POLICY =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  return randomBytes(16).toString('base64')
}

/**
 * An HTML page of the app, ready to send with a nonce: the page split where the nonce's meta
 * element goes (first thing in `<head>`, before any script that may read it; a page without
 * the optional `<head>` tag gets it where its head begins), and at each inline `<style>`
 * element (the card's skeleton), which gets the nonce too.
 */
export function preparePage(html: string): { before: string; after: string[] } {
  const start =
    /<head\b[^>]*>/i.exec(html) ?? /<html\b[^>]*>/i.exec(html) ?? /<!doctype[^>]*>/i.exec(html)
  const at = start ? start.index + start[0].length : 0
  return { before: html.slice(0, at), after: html.slice(at).split('<style>') }
}

/**
 * Answers with `page` under the policy of its kind, with a fresh nonce in the header and in
 * the page's `<meta property="csp-nonce">`.
 */
export function sendPage(
  c: Context,
  page: { before: string; after: string[] },
  o: { kind: PageKind; line: boolean },
): Response {
  const nonce = newNonce()
  c.header('Content-Security-Policy', pagePolicy({ ...o, nonce }))
  // Never from a shared cache (one nonce for many visitors); bfcache still allowed.
  c.header('Cache-Control', 'private, no-cache')
  const after = page.after.join(`<style nonce="${nonce}">`)
  return c.html(`${page.before}<meta property="csp-nonce" nonce="${nonce}">${after}`)
}
