/** Longest `next` kept; a longer one is not a path of this app. */
const MAX_NEXT_LENGTH = 512
/** Parsing base: only used to see whether a path stays on its origin. */
const BASE = 'http://membercard.invalid'

/**
 * Where to go after signing in: `next` when it is a path on this origin, else `/`.
 * Refused: anything not starting with one `/` (absolute URLs, `//evil`, `/\evil` — browsers
 * read a backslash as a slash), control characters and spaces (stripped by URL parsers), and
 * the sign-in's own routes (a loop). The path is returned as parsed, normalised.
 */
export function safeNextPath(next: string | undefined | null): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_NEXT_LENGTH) return '/'
  if (!next.startsWith('/') || next.startsWith('//')) return '/'
  // Backslashes, ASCII controls, spaces and DEL never belong in a path we link to.
  for (let i = 0; i < next.length; i++) {
    const code = next.charCodeAt(i)
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return '/'
  }
  let url: URL
  try {
    url = new URL(next, BASE)
  } catch {
    return '/'
  }
  if (url.origin !== BASE) return '/'
  const path = `${url.pathname}${url.search}${url.hash}`
  if (!path.startsWith('/') || path.startsWith('//')) return '/'
  if (url.pathname === '/login/line' || url.pathname.startsWith('/login/line/')) return '/'
  return path
}
