import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll } from 'vitest'

/** One request the receiver got. */
export interface Received {
  body: string
  headers: IncomingHttpHeaders
  event: { id: string; type: string; createdAt: string; data: Record<string, unknown> }
  /** The status it answered. */
  status: number
}

/**
 * A local webhook receiver: records every request; `answer(n, event)` decides the status of
 * the n-th request (0-based) and may take its time (a slow receiver, for timeouts).
 */
export async function startReceiver() {
  const got: Received[] = []
  let answer: (n: number, event: Received['event']) => number | Promise<number> = () => 204
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const event = JSON.parse(body) as Received['event']
      const n = got.length
      const entry: Received = { body, headers: req.headers, event, status: 0 }
      got.push(entry)
      const status = await answer(n, event)
      entry.status = status
      if (!res.destroyed) res.writeHead(status).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    got,
    /** Sets how requests are answered from now on. */
    answerWith(fn: typeof answer) {
      answer = fn
    },
    /** Event IDs answered 2xx, in the order they were received. */
    delivered: () => got.filter((g) => g.status >= 200 && g.status < 300).map((g) => g.event.id),
  }
}

const DOC = resolve(import.meta.dirname, '../../docs/pos-integration.md')

/** The fenced `js` blocks of docs/pos-integration.md, in order. */
export function docJsBlocks(): string[] {
  const text = readFileSync(DOC, 'utf8')
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string)
}

/** The documented verification snippet, as written in docs/pos-integration.md, loaded. */
export async function documentedVerify(): Promise<
  (rawBody: string, header: string, secret: string, now?: number) => boolean
> {
  const snippet = docJsBlocks().find((b) => b.includes('function verifyWebhook'))
  if (!snippet) throw new Error('docs/pos-integration.md has no verifyWebhook snippet')
  const dir = mkdtempSync(join(tmpdir(), 'mc-verify-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'verify.mjs')
  writeFileSync(file, `${snippet}\nexport { verifyWebhook }\n`)
  const mod = (await import(pathToFileURL(file).href)) as {
    verifyWebhook: (rawBody: string, header: string, secret: string, now?: number) => boolean
  }
  return mod.verifyWebhook
}
