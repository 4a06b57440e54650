import { isUtf8 } from 'node:buffer'

/**
 * Checks that a byte stream is UTF-8, chunk by chunk, without decoding it (the CSV parser
 * decodes it once, and would silently turn a malformed sequence into U+FFFD): `isUtf8` (a native
 * byte scan) over each chunk's complete characters, a character split between two chunks
 * checked once the next chunk completes it. On a malformed sequence, the offset in the chunk of
 * the first byte of the character it breaks: what comes before it is good.
 */
export function createUtf8Guard() {
  /** The start of a character the previous chunk ended inside (0–3 bytes). */
  let carry: Buffer = Buffer.alloc(0)

  return {
    /** The offset of the first malformed character in `chunk`, or -1 when it is good so far. */
    check(chunk: Buffer): number {
      const joined = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
      const cut = completeLength(joined)
      if (isUtf8(joined.subarray(0, cut))) {
        carry = Buffer.from(joined.subarray(cut))
        return -1
      }
      // Slow path, once per refused file: where exactly (relative to this chunk; a broken
      // character that began in the previous chunk is reported at this chunk's start).
      return Math.max(0, firstMalformed(joined) - carry.length)
    },
    /** Whether the stream ended inside a character (a truncated last sequence). */
    endsInside(): boolean {
      return carry.length > 0
    },
  }
}

/** How many bytes a character starting with `lead` has (0: not a lead byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 0
}

/** The length of `buf` without a character it ends inside (when its lead byte starts one). */
function completeLength(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back] as number
    if ((b & 0xc0) === 0x80) continue // a continuation byte: look further back
    const n = sequenceLength(b)
    return n > back ? buf.length - back : buf.length
  }
  return buf.length
}

/** The offset of the first byte of the first malformed character of `buf` (its length if none). */
function firstMalformed(buf: Buffer): number {
  let i = 0
  while (i < buf.length) {
    const n = sequenceLength(buf[i] as number)
    if (n === 0 || i + n > buf.length || !isUtf8(buf.subarray(i, i + n))) return i
    i += n
  }
  return buf.length
}
