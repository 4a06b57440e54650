import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ImportFileTooLarge } from '../domain/errors.ts'

/** An upload kept on disk until it has been read. */
export interface Spool {
  /** The file (mode 0600, alone in a folder of mode 0700). */
  path: string
  bytes: number
  /** Removes the file and its folder (idempotent). */
  remove(): Promise<void>
}

/**
 * Writes an upload to a private file of its own: a new folder under `root` (`mkdtemp`: mode
 * 0700, a random name) holding one file created exclusively with mode 0600, so no other user
 * of the machine can read the members' data in it. More than `maxBytes` stops the upload with
 * `ImportFileTooLarge`. On any failure (too large, a body that breaks off) the file and folder
 * are removed before the error is thrown. `onChunk` runs after each chunk is taken (awaited:
 * it may renew a lease).
 */
export async function spoolUpload(
  body: AsyncIterable<Uint8Array>,
  o: { root: string; maxBytes: number; onChunk?: (bytes: number) => Promise<void> | void },
): Promise<Spool> {
  const dir = await mkdtemp(join(o.root, 'membercard-import-'))
  const path = join(dir, 'upload.csv')
  const remove = () => rm(dir, { recursive: true, force: true })
  let bytes = 0
  async function* capped(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      bytes += chunk.byteLength
      if (bytes > o.maxBytes) throw new ImportFileTooLarge(o.maxBytes)
      yield chunk
      await o.onChunk?.(bytes)
    }
  }
  try {
    await pipeline(Readable.from(capped()), createWriteStream(path, { flags: 'wx', mode: 0o600 }))
  } catch (err) {
    await remove()
    throw err
  }
  return { path, bytes, remove }
}
