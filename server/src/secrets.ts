import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'
import { ensurePrivateFolder } from './private-files.ts'

/** Keys kept outside the database: whoever holds only the database cannot test PINs. */
export interface Secrets {
  pinHashKey: Buffer
  qrTokenKey: Buffer
}

const fileSchema = z.object({
  pinHashKey: z.string().regex(/^[0-9a-f]{64,}$/),
  qrTokenKey: z.string().regex(/^[0-9a-f]{64,}$/),
})

/**
 * Returns the server secrets: the configured ones, else those in `path`, generating and
 * persisting them (mode 0600, in a folder created 0700) on first start. `:memory:` keeps generated keys in memory.
 */
export function loadSecrets(
  path: string,
  configured: { pinHashSecret?: string | undefined; qrTokenSecret?: string | undefined } = {},
): Secrets {
  let stored: z.infer<typeof fileSchema> | undefined
  if (path !== ':memory:' && existsSync(path)) {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')))
    if (!parsed.success) throw new Error(`The secrets file ${path} is damaged`)
    stored = parsed.data
  }
  const needFile =
    stored === undefined &&
    (configured.pinHashSecret === undefined || configured.qrTokenSecret === undefined)
  if (needFile) {
    stored = {
      pinHashKey: randomBytes(32).toString('hex'),
      qrTokenKey: randomBytes(32).toString('hex'),
    }
    if (path !== ':memory:') {
      ensurePrivateFolder(dirname(path))
      writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
      chmodSync(path, 0o600)
    }
  }
  const pin = configured.pinHashSecret ?? stored?.pinHashKey
  const qr = configured.qrTokenSecret ?? stored?.qrTokenKey
  if (pin === undefined || qr === undefined) throw new Error('unreachable: secrets missing')
  return { pinHashKey: Buffer.from(pin, 'hex'), qrTokenKey: Buffer.from(qr, 'hex') }
}
